"""The one search function behind `bot search` and Telegram's /search."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.search.query import Query, parse_query
from bot.search.snippet import Segment, mark, snippet
from bot.store import search as sql

RANK_CAP = 1000
# A term matching this many entries makes bm25 too slow (see _narrow).
BROAD_TERM = 5_000
MAX_LIMIT = 50


@dataclass(frozen=True, slots=True)
class SearchResult:
    issue_date: str
    section: str
    title: str
    source: str | None
    url: str | None
    score: float
    title_segments: tuple[Segment, ...]
    snippet_segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: Query
    total: int
    capped: bool
    offset: int
    limit: int
    results: tuple[SearchResult, ...] = ()

    @property
    def total_label(self) -> str:
        """``1000+`` for capped broad queries, else the exact count."""
        return f"{RANK_CAP}+" if self.capped else str(self.total)

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.results) < self.total


def needles(query: Query) -> list[str]:
    """What to mark in results: every run of every included term."""
    return [run.text for term in query.include for run in term.runs]


async def search(
    conn: aiosqlite.Connection,
    query: str,
    *,
    limit: int = 10,
    offset: int = 0,
    issue_date: str | None = None,
    section: str | None = None,
) -> SearchPage:
    """Search the archive; never raises on what the user typed.

    ``total`` is exact up to ``RANK_CAP``; above it ``capped`` is set, and only
    the newest ``RANK_CAP`` matches are ranked. Ranking is bm25 (title columns
    weigh most, newer first on ties) — except for broad queries (capped, or a
    term in more than ``BROAD_TERM`` entries), where bm25's cost grows with the
    archive: then title hits come first, newest first. ``issue_date`` must be
    YYYY-MM-DD (ValueError otherwise).
    """
    parsed = parse_query(query)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    expression = parsed.expression
    if expression is None:
        return SearchPage(parsed, 0, False, offset, limit)
    scope = sql.Scope.of(issue_date, section)
    newest = await sql.newest_ids(conn, expression, scope, RANK_CAP)
    capped = len(newest) > RANK_CAP
    window = newest[:RANK_CAP]
    if offset >= len(window):
        return SearchPage(parsed, len(window), capped, offset, limit)
    floor = window[-1]
    if not capped and await _narrow(conn, parsed):
        ranked = await sql.ranked_ids(conn, expression, scope, floor, limit, offset)
    else:
        ranked = await _title_first(conn, parsed, scope, window, limit, offset)
    marks = needles(parsed)
    results = tuple(
        SearchResult(
            hit.issue_date,
            hit.section,
            hit.title,
            hit.source,
            hit.url,
            round(-hit.score, 4),
            mark(hit.title, marks),
            snippet((hit.summary, hit.source or ""), marks),
        )
        for hit in await sql.hits(conn, ranked)
    )
    return SearchPage(parsed, len(window), capped, offset, limit, results)


async def _narrow(conn: aiosqlite.Connection, query: Query) -> bool:
    """Whether bm25 is affordable: FTS5 computes its IDF by walking every match of
    every term in the whole archive, which takes ~12 ms for a term in 350,000 entries."""
    for expression in query.term_expressions:
        if await sql.count_upto(conn, expression, BROAD_TERM) >= BROAD_TERM:
            return False
    return True


async def _title_first(
    conn: aiosqlite.Connection,
    query: Query,
    scope: sql.Scope,
    window: list[int],
    limit: int,
    offset: int,
) -> list[tuple[int, float]]:
    """Broad queries: title hits first, then the rest, newest first within each.

    Scores mimic bm25's sign (lower is better): -2 for a title hit, -1 otherwise.
    """
    title_expression = query.title_expression
    assert title_expression is not None
    narrowed = sql.Scope(window[-1], scope.hi, scope.section)
    # Only the title hits up to the end of this page are needed: if there are
    # fewer, they are all of them and the rest of the page follows.
    in_title = await sql.newest_ids(conn, title_expression, narrowed, offset + limit - 1)
    titled = set(in_title)
    ordered = [(i, -2.0) for i in in_title]
    if len(in_title) < offset + limit:
        ordered += [(i, -1.0) for i in window if i not in titled]
    return ordered[offset : offset + limit]
