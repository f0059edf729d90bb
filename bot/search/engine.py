"""The one search function behind `bot search` and Telegram's /search."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.search.query import Query, parse_query
from bot.search.snippet import Segment, mark, snippet
from bot.store import search as sql
from bot.store.issues import SLOTS
from bot.topics.catalog import resolve

RANK_CAP = 1000
# A #topic restriction with words walks the words' matches newest first until this
# many are tagged with the topic: a common word (模型, a third of the archive) with a
# topic it rarely meets would otherwise walk tens of thousands of matches.
TOPIC_CAP = 200
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
    number: int = 0  # 1-based place in its issue: the issue page's anchor #e-<number>


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: Query
    total: int
    capped: bool
    offset: int
    limit: int
    results: tuple[SearchResult, ...] = ()
    cap: int = RANK_CAP

    @property
    def total_label(self) -> str:
        """``1000+`` (``200+`` with a #topic) for capped broad queries, else the exact count."""
        return f"{self.cap}+" if self.capped else str(self.total)

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.results) < self.total


TOPIC_MARKS = ("#", "＃")


def split_topics(raw: str) -> tuple[tuple[str, ...], str]:
    """``#量化`` / ``#quantization`` words that name catalogue topics (their slugs), and
    the rest of the query. A ``#word`` naming no topic stays a word."""
    slugs: list[str] = []
    rest: list[str] = []
    for piece in raw.split():
        topic = resolve(piece) if piece.startswith(TOPIC_MARKS) and len(piece) > 1 else None
        if topic is None:
            rest.append(piece)
        elif topic.slug not in slugs:
            slugs.append(topic.slug)
    return tuple(slugs), " ".join(rest) if slugs else raw


def query_topics(query: Query) -> tuple[str, ...]:
    """The catalogue topics the query's words name (量化, int8 → quantization)."""
    found = (resolve(term.text) for term in query.include)
    return tuple(dict.fromkeys(topic.slug for topic in found if topic is not None))


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
    weigh most) shrunk by age (``sql.RECENCY_DAYS``), entries tagged with a topic
    the query names (量化, int8) before incidental mentions (轻量化) — except for
    broad queries (capped, or a term in more than ``BROAD_TERM`` entries), where
    bm25's cost grows with the archive: then tagged entries, then title hits come
    first, newest first. ``#量化`` (any name of a catalogue topic after ``#``)
    keeps only the entries tagged with that topic; alone, it lists them newest
    first. ``issue_date`` must be YYYY-MM-DD (ValueError otherwise).
    """
    restrict, rest = split_topics(query)
    parsed = parse_query(rest)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    expression = parsed.expression
    scope = sql.Scope.of(issue_date, section, restrict)
    cap = TOPIC_CAP if restrict and expression is not None else RANK_CAP
    if expression is None:
        if not restrict or parsed.exclude or parsed.notices:
            return SearchPage(parsed, 0, False, offset, limit)
        newest = await sql.newest_tagged(conn, scope, cap)
    else:
        newest = await sql.newest_ids(conn, expression, scope, cap)
    capped = len(newest) > cap
    window = newest[:cap]
    if offset >= len(window):
        return SearchPage(parsed, len(window), capped, offset, limit, cap=cap)
    floor = window[-1]
    boost = query_topics(parsed)
    if expression is None:  # only #topic: the tagged entries, newest issue first, in order
        listed = sorted(window, key=lambda i: (-(i // SLOTS), i))
        ranked = [(i, 0.0) for i in listed[offset : offset + limit]]
    elif not capped and await _narrow(conn, parsed):
        ranked = await sql.ranked_ids(
            conn, expression, scope, floor, limit, offset, newest=window[0], topics=boost
        )
    else:
        ranked = await _title_first(conn, parsed, scope, window, limit, offset, boost)
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
            hit.number,
        )
        for hit in await sql.hits(conn, ranked)
    )
    return SearchPage(parsed, len(window), capped, offset, limit, results, cap)


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
    topics: tuple[str, ...] = (),
) -> list[tuple[int, float]]:
    """Broad queries: title hits first, then the rest, newest first within each; with
    ``topics`` (what the query names), the entries tagged with one of them come first
    (title hits, then the rest), then the others alike.

    Each group is one FTS query over the window that stops at the end of this page,
    so a page costs about the same whatever the window holds. Scores mimic bm25's
    sign (lower is better): -2 for a title hit, -1 otherwise.
    """
    title_expression = query.title_expression
    untitled_expression = query.untitled_expression
    assert title_expression is not None and untitled_expression is not None
    narrowed = sql.Scope(window[-1], scope.hi, scope.section, scope.topics)
    flags: tuple[bool | None, ...] = (True, False) if topics else (None,)
    end = offset + limit
    ordered: list[tuple[int, float]] = []
    for on_topic in flags:
        for expression, score in ((title_expression, -2.0), (untitled_expression, -1.0)):
            need = end - len(ordered)
            if need <= 0:
                return ordered[offset:end]
            found = await sql.newest_ids(
                conn, expression, narrowed, need - 1, topics=topics, on_topic=on_topic
            )
            ordered += [(i, score) for i in found[:need]]
    return ordered[offset:end]
