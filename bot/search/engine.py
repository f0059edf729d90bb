"""The one search function behind `bot search` and Telegram's /search."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.search.query import Query, parse_query
from bot.search.snippet import Segment, mark, snippet
from bot.store import search as sql

RANK_CAP = 1000
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
    conn: aiosqlite.Connection, query: str, *, limit: int = 10, offset: int = 0,
    issue_date: str | None = None, section: str | None = None,
) -> SearchPage:
    """Search the archive; never raises on what the user typed.

    ``total`` is exact up to ``RANK_CAP``; above it ``capped`` is set, and only
    the newest ``RANK_CAP`` matches are ranked (bm25, title hits first, newer
    first on ties). ``issue_date`` must be YYYY-MM-DD (ValueError otherwise).
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
    total = min(len(newest), RANK_CAP)
    if offset >= total:
        return SearchPage(parsed, total, capped, offset, limit)
    floor = newest[RANK_CAP - 1] if capped else scope.lo
    ranked = await sql.ranked_ids(conn, expression, scope, floor, limit, offset)
    marks = needles(parsed)
    results = tuple(
        SearchResult(
            hit.issue_date, hit.section, hit.title, hit.source, hit.url, round(-hit.score, 4),
            mark(hit.title, marks), snippet((hit.summary, hit.source or ""), marks),
        )
        for hit in await sql.hits(conn, ranked)
    )
    return SearchPage(parsed, total, capped, offset, limit, results)
