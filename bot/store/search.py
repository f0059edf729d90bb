"""Search queries over the FTS index; the expression comes from bot.search.query.

Broad queries are capped: ranking only looks at the newest ``cap`` matches
(a rowid floor), so every query costs about the same whatever its hit count.
A scope may require catalogue topics (``/search #量化``): a primary-key lookup
in ``entry_topics`` per candidate, or, with no words, a range of its topic index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date as Date

import aiosqlite

from bot.store.fts import WEIGHTS
from bot.store.issues import SLOTS
from bot.store.topic_pages import ENTRY_NUMBER

_MAX_ROWID = 2**62


@dataclass(frozen=True, slots=True)
class Scope:
    """Which entries a search looks at: one issue date and/or one section."""

    lo: int = 0
    hi: int = _MAX_ROWID
    section: str | None = None
    topics: tuple[str, ...] = ()  # catalogue slugs every entry must be tagged with

    @classmethod
    def of(
        cls,
        issue_date: str | None = None,
        section: str | None = None,
        topics: tuple[str, ...] = (),
    ) -> Scope:
        if issue_date is None:
            return cls(section=section, topics=topics)
        base = Date.fromisoformat(issue_date).toordinal() * SLOTS
        return cls(base, base + SLOTS - 1, section, topics)


@dataclass(frozen=True, slots=True)
class EntryHit:
    id: int
    score: float
    issue_date: str
    section: str
    title: str
    source: str | None
    url: str | None
    summary: str
    number: int = 0  # 1-based place in its issue: the issue page's anchor #e-<number>


def _where(scope: Scope, floor: int | None = None) -> tuple[str, list[object]]:
    sql = " WHERE entry_fts MATCH ? AND f.rowid BETWEEN ? AND ?"
    params: list[object] = [max(scope.lo, floor or 0), scope.hi]
    if scope.section is not None:
        sql += " AND EXISTS (SELECT 1 FROM entries e WHERE e.id = f.rowid AND e.section = ?)"
        params.append(scope.section)
    for topic in scope.topics:
        sql += _TAGGED.format(id="f.rowid")
        params.append(topic)
    return sql, params


_TAGGED = " AND EXISTS (SELECT 1 FROM entry_topics et WHERE et.entry_id = {id} AND et.topic = ?)"
# Recency in ranking: a match this many days older needs twice the bm25 score to tie.
RECENCY_DAYS = 365.0


async def newest_tagged(conn: aiosqlite.Connection, scope: Scope, cap: int) -> list[int]:
    """Ids of the newest ``cap + 1`` entries tagged with all of ``scope.topics`` (at least
    one), newest first: a range of the topic index."""
    first, *others = scope.topics
    sql = "SELECT t.entry_id FROM entry_topics t WHERE t.topic = ? AND t.entry_id BETWEEN ? AND ?"
    params: list[object] = [first, scope.lo, scope.hi]
    if scope.section is not None:
        sql += " AND EXISTS (SELECT 1 FROM entries e WHERE e.id = t.entry_id AND e.section = ?)"
        params.append(scope.section)
    for topic in others:
        sql += _TAGGED.format(id="t.entry_id")
        params.append(topic)
    async with conn.execute(sql + " ORDER BY t.entry_id DESC LIMIT ?", [*params, cap + 1]) as cur:
        return [int(r[0]) for r in await cur.fetchall()]


async def newest_ids(
    conn: aiosqlite.Connection,
    expression: str,
    scope: Scope,
    cap: int,
    *,
    topics: Sequence[str] = (),
    on_topic: bool | None = None,
) -> list[int]:
    """Ids of the newest ``cap + 1`` matches, newest first; with ``on_topic``, only those
    tagged (True) or not tagged (False) with any of ``topics``."""
    where, params = _where(scope)
    if on_topic is not None and topics:
        marks = ", ".join("?" * len(topics))
        where += (
            f" AND {'' if on_topic else 'NOT '}EXISTS (SELECT 1 FROM entry_topics et"
            f" WHERE et.entry_id = f.rowid AND et.topic IN ({marks}))"
        )
        params += topics
    async with conn.execute(
        f"SELECT f.rowid FROM entry_fts f{where} ORDER BY f.rowid DESC LIMIT ?",
        [expression, *params, cap + 1],
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


async def count_upto(conn: aiosqlite.Connection, expression: str, limit: int) -> int:
    """How many entries match, counting no further than ``limit``."""
    async with conn.execute(
        "SELECT count(*) FROM (SELECT rowid FROM entry_fts WHERE entry_fts MATCH ? LIMIT ?)",
        (expression, limit),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def ranked_ids(
    conn: aiosqlite.Connection,
    expression: str,
    scope: Scope,
    floor: int,
    limit: int,
    offset: int,
    *,
    newest: int,
    topics: Sequence[str] = (),
) -> list[tuple[int, float]]:
    """(id, score) best first among matches with id ≥ floor; newer first on ties.

    The score is bm25 (negative: lower is better) shrunk by age, one ``RECENCY_DAYS``
    older halving it, counted from ``newest`` (the newest match); entries tagged with
    one of ``topics`` (what the query names) come before the incidental mentions.
    """
    where, params = _where(scope, floor)
    weights = ", ".join(str(w) for w in WEIGHTS)
    on_topic = "0"
    if topics:
        marks = ", ".join("?" * len(topics))
        on_topic = (
            "EXISTS (SELECT 1 FROM entry_topics et WHERE et.entry_id = f.rowid"
            f" AND et.topic IN ({marks}))"
        )
    async with conn.execute(
        f"SELECT f.rowid, bm25(entry_fts, {weights}) / (1.0 + (? - f.rowid) / ?) AS score,"
        f" {on_topic} AS on_topic FROM entry_fts f{where}"
        " ORDER BY on_topic DESC, score, f.rowid DESC LIMIT ? OFFSET ?",
        [newest, SLOTS * RECENCY_DAYS, *topics, expression, *params, limit, offset],
    ) as cursor:
        return [(int(r[0]), float(r[1])) for r in await cursor.fetchall()]


async def hits(conn: aiosqlite.Connection, ranked: Sequence[tuple[int, float]]) -> list[EntryHit]:
    """The entries behind ranked ids, in the same order."""
    if not ranked:
        return []
    marks = ", ".join("?" * len(ranked))
    async with conn.execute(
        "SELECT e.id, i.date, e.section, e.title, e.source, e.url, e.summary,"
        f" {ENTRY_NUMBER} FROM entries e"
        f" JOIN issues i ON i.id = e.issue_id WHERE e.id IN ({marks})",
        [i for i, _ in ranked],
    ) as cursor:
        rows = {int(r[0]): r for r in await cursor.fetchall()}
    return [
        EntryHit(
            i,
            score,
            rows[i][1],
            rows[i][2],
            rows[i][3],
            rows[i][4],
            rows[i][5],
            rows[i][6],
            number=int(rows[i][7]),
        )
        for i, score in ranked
        if i in rows
    ]
