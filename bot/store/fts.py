"""The search index: a contentless FTS5 table fed with tokens built in Python.

``entry_fts`` rowids are entry ids (which grow with the issue date, see
``bot.store.issues``), so ``ORDER BY rowid DESC`` is newest first. The table
keeps no text: deleting a row needs the very tokens it was indexed with, which
is why the tokenizer is versioned and a version change rebuilds the index.
"""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

from bot.store.migrations import FTS_TABLE
from bot.text.normalize import NORMALIZATION_VERSION, normalize
from bot.text.tokens import TOKENIZER_VERSION, index_streams

INDEX_VERSION = f"{TOKENIZER_VERSION}.{NORMALIZATION_VERSION}"
# Title columns weigh far more than the body, so title hits rank first.
WEIGHTS = (20.0, 1.0, 10.0, 0.5)

_INSERT = "INSERT INTO entry_fts (rowid, t, b, ts, bs) VALUES (?, ?, ?, ?, ?)"
_DELETE = "INSERT INTO entry_fts (entry_fts, rowid, t, b, ts, bs) VALUES ('delete', ?, ?, ?, ?, ?)"


def columns(title: str, source: str | None, summary: str) -> tuple[str, str, str, str]:
    """The four indexed columns of one entry: title main/sub, body main/sub."""
    t, ts = index_streams(normalize(title))
    b, bs = index_streams(normalize(f"{source or ''}\n{summary}"))
    return t, b, ts, bs


async def add(conn: aiosqlite.Connection, rows: Iterable[tuple[int, str, str | None, str]]) -> None:
    """Index (id, title, source, summary) rows."""
    await conn.executemany(_INSERT, ((i, *columns(t, s, m)) for i, t, s, m in rows))


async def remove(
    conn: aiosqlite.Connection, rows: Iterable[tuple[int, str, str | None, str]]
) -> None:
    """Unindex rows, given exactly the values they were indexed with."""
    await conn.executemany(_DELETE, ((i, *columns(t, s, m)) for i, t, s, m in rows))


async def needs_rebuild(conn: aiosqlite.Connection) -> bool:
    async with conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ) as cursor:
        if await cursor.fetchone() is None:
            return False
    async with conn.execute("SELECT value FROM meta WHERE key = 'index_version'") as cursor:
        row = await cursor.fetchone()
    return row is None or row[0] != INDEX_VERSION


async def rebuild(conn: aiosqlite.Connection) -> None:
    """Drop and refill the index from the entries table (inside the caller's transaction)."""
    await conn.execute("DROP TABLE IF EXISTS entry_fts")
    await conn.execute(FTS_TABLE)
    async with conn.execute("SELECT id, title, source, summary FROM entries") as cursor:
        rows = [(int(r[0]), str(r[1]), r[2], str(r[3])) for r in await cursor.fetchall()]
    await add(conn, rows)
    await conn.execute("INSERT INTO entry_fts (entry_fts) VALUES ('optimize')")
    await conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('index_version', ?)", (INDEX_VERSION,)
    )
