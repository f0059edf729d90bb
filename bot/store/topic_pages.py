"""The entries one catalogue topic tags, across issues: the web's topic pages and feeds.

Reads ``entry_topics`` through its ``(topic, entry_id)`` index; an entry's number is its
place in its issue in the order ``bot.store.issues.get_issue`` reads them (position,
then id), which is what the issue page's ``#e-<n>`` anchors count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiosqlite

from bot.digest.model import Entry, Link


@dataclass(frozen=True, slots=True)
class TopicEntry:
    issue_date: str
    number: int  # 1-based place in its issue: the anchor #e-<number>
    key: str  # the entry's key in its issue (stable across revisions)
    entry: Entry
    published_at: str  # when the entry's issue was first published
    updated_at: str  # when the entry's issue last changed (its latest revision)


# The place of entry e in its issue, as get_issue orders entries (also in search hits).
ENTRY_NUMBER = (
    "(SELECT count(*) FROM entries o WHERE o.issue_id = e.issue_id"
    " AND (o.position < e.position OR (o.position = e.position AND o.id <= e.id)))"
)

_ORDER = "i.date DESC, e.position, e.id"  # newest issue first, in issue order within one


async def count_tagged(conn: aiosqlite.Connection, slug: str) -> int:
    """How many entries of the archive ``slug`` tags."""
    async with conn.execute("SELECT count(*) FROM entry_topics WHERE topic = ?", (slug,)) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def tagged_entries(
    conn: aiosqlite.Connection, slug: str, *, limit: int, offset: int = 0
) -> list[TopicEntry]:
    """The entries ``slug`` tags, newest issue first and in issue order within an issue."""
    # The page's ids first: an entry's number (a subquery) is then counted for them only,
    # not for every entry the topic tags.
    async with conn.execute(
        "SELECT i.date, i.published_at, i.updated_at, e.key, e.section, e.position, e.title,"
        f" e.source, e.url, e.links, e.tag, e.summary, {ENTRY_NUMBER}"
        " FROM (SELECT t.entry_id AS id FROM entry_topics t JOIN entries e ON e.id = t.entry_id"
        f" JOIN issues i ON i.id = e.issue_id WHERE t.topic = ? ORDER BY {_ORDER}"
        " LIMIT ? OFFSET ?) AS page"
        f" JOIN entries e ON e.id = page.id JOIN issues i ON i.id = e.issue_id ORDER BY {_ORDER}",
        (slug, max(0, limit), max(0, offset)),
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        TopicEntry(
            issue_date=str(r[0]),
            number=int(r[12]),
            key=str(r[3]),
            entry=Entry(
                section=r[4],
                position=r[5],
                title=r[6],
                source=r[7],
                url=r[8],
                links=tuple(Link(t, u) for t, u in json.loads(r[9])),
                tag=r[10],
                summary=r[11],
            ),
            published_at=str(r[1]),
            updated_at=str(r[2]),
        )
        for r in rows
    ]
