"""Entries' catalogue topics (``entry_topics``): tagged at ingest, re-tagged when the
catalogue changes.

Ingest tags new and changed entries in its own transaction (``bot.store.issues``);
removed entries lose their tags by ``ON DELETE CASCADE``. ``meta.catalog_version``
records which catalogue the tags come from: opening a database tagged with another
catalogue re-tags the whole archive (like ``bot.store.fts`` rebuilds the index), and
``bot topics retag`` does it on demand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import aiosqlite

from bot.topics.catalog import CATALOG_VERSION

_INSERT = "INSERT OR REPLACE INTO entry_topics (entry_id, topic, term) VALUES (?, ?, ?)"
Row = tuple[int, str, str | None, str]  # id, title, source, summary


def _tags(rows: Iterable[Row]) -> list[tuple[int, str, str]]:
    from bot.topics.match import default_matcher

    matcher = default_matcher()
    tagged: list[tuple[int, str, str]] = []
    for entry_id, title, source, summary in rows:
        seen: set[str] = set()
        for hit in matcher.tag(title, "\n".join((source or "", summary))):
            if hit.slug not in seen:  # the first term that matched (title terms first)
                seen.add(hit.slug)
                tagged.append((entry_id, hit.slug, hit.term))
    return tagged


async def tag(conn: aiosqlite.Connection, rows: Sequence[Row]) -> None:
    """(Re-)tag these entries: their old tags go, the current catalogue's come."""
    if not rows:
        return
    await conn.executemany("DELETE FROM entry_topics WHERE entry_id = ?", ((r[0],) for r in rows))
    await conn.executemany(_INSERT, _tags(rows))


async def needs_retag(conn: aiosqlite.Connection) -> bool:
    async with conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entry_topics'"
    ) as cursor:
        if await cursor.fetchone() is None:
            return False
    async with conn.execute("SELECT value FROM meta WHERE key = 'catalog_version'") as cursor:
        row = await cursor.fetchone()
    return row is None or row[0] != CATALOG_VERSION


async def retag(conn: aiosqlite.Connection) -> int:
    """Re-tag every entry with the current catalogue (inside the caller's transaction);
    returns the number of tags written."""
    async with conn.execute("SELECT id, title, source, summary FROM entries") as cursor:
        rows = [(int(r[0]), str(r[1]), r[2], str(r[3])) for r in await cursor.fetchall()]
    tagged = _tags(rows)
    await conn.execute("DELETE FROM entry_topics")
    await conn.executemany(_INSERT, tagged)
    await conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('catalog_version', ?)",
        (CATALOG_VERSION,),
    )
    return len(tagged)


async def issue_tags(conn: aiosqlite.Connection, issue_id: int) -> dict[str, frozenset[str]]:
    """The stored topic slugs of an issue's entries, by entry key."""
    async with conn.execute(
        "SELECT e.key, et.topic FROM entries e JOIN entry_topics et ON et.entry_id = e.id"
        " WHERE e.issue_id = ?",
        (issue_id,),
    ) as cursor:
        found: dict[str, set[str]] = {}
        async for key, topic in cursor:
            found.setdefault(str(key), set()).add(str(topic))
    return {key: frozenset(slugs) for key, slugs in found.items()}


async def topic_counts(conn: aiosqlite.Connection) -> dict[str, int]:
    """How many entries of the archive each topic tags."""
    async with conn.execute("SELECT topic, count(*) FROM entry_topics GROUP BY topic") as cursor:
        return {str(r[0]): int(r[1]) for r in await cursor.fetchall()}
