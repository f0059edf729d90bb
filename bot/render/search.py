"""A page of search results (or of an issue's entries) as one Telegram message.

The search code hands over :class:`SearchResult` values: the entry's title, link
and issue date, plus its snippet as *segments* — ``(text, marked)`` pairs where
``marked`` pieces are the query's matches, shown in bold. Everything is bounded
so that a page always fits one message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.render.entry import safe_url
from bot.render.env import render
from bot.render.i18n import t
from bot.render.split import MAX_CHARS, MAX_ENTITIES, RenderError
from bot.render.text import ELLIPSIS, measure, one_line, trim

MAX_TITLE = 200
MAX_SNIPPET = 240
MAX_MARKS = 6
MAX_QUERY = 64
MAX_PER_PAGE = 8  # 8 results of bounded size always fit one message

Segments = tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class SearchResult:
    title: str
    url: str | None
    issue_date: str | None
    segments: Segments = ()
    section: str | None = None


def segments_from_spans(text: str, spans: Sequence[tuple[int, int]]) -> Segments:
    """Cut ``text`` into segments, marking the ``[start, end)`` spans (sorted, disjoint)."""
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in spans:
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return tuple(out)


def bound_segments(segments: Segments, limit: int = MAX_SNIPPET) -> Segments:
    """At most ``limit`` characters on one line and ``MAX_MARKS`` marks; ``…`` if cut."""
    out: list[tuple[str, bool]] = []
    room, marks = limit, 0
    flat = [(" ".join(text.split("\n")), marked) for text, marked in segments]
    for i, (text, marked) in enumerate(flat):
        more = any(rest for rest, _ in flat[i + 1 :])
        if len(text) > room or (len(text) == room and more):
            out.append((text[: room - 1].rstrip() + ELLIPSIS, False))
            break
        keep = marked and marks < MAX_MARKS
        marks += keep
        out.append((text, keep))
        room -= len(text)
    return tuple((text, marked) for text, marked in out if text)


def _view(result: SearchResult, lang: str) -> dict[str, object]:
    return {
        "title": trim(one_line(result.title), MAX_TITLE) or t(lang, "digest.no_title"),
        "url": safe_url(result.url),
        "issue": t(lang, "search.issue", date=result.issue_date) if result.issue_date else "",
        "segments": bound_segments(result.segments),
    }


def render_search_page(
    results: Sequence[SearchResult],
    *,
    query: str,
    total: int | str,
    page: int = 1,
    pages: int = 1,
    per_page: int = 5,
    lang: str = "zh",
    notices: Sequence[str] = (),
) -> str:
    """One message: a header (query, total, page), then numbered results with a linked
    title, the issue date and the highlighted snippet; a friendly line when empty.

    ``total`` may be a string such as ``"1000+"``; ``notices`` are plain sentences
    (e.g. "the query was cut") shown in italics.
    """
    shown_query = trim(one_line(query), MAX_QUERY)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    if not results:
        html = render(
            "telegram/search_empty.html.j2",
            lang,
            query=shown_query,
            notices=[trim(one_line(n), 200) for n in notices[:3]],
        )
    else:
        first = (page - 1) * per_page + 1
        blocks = [
            render(
                "telegram/search_page.html.j2",
                lang,
                query=shown_query,
                total=total,
                page=page,
                pages=max(pages, page),
                notices=[trim(one_line(n), 200) for n in notices[:3]],
            ),
            *(
                render("telegram/search_result.html.j2", lang, number=first + i, r=_view(r, lang))
                for i, r in enumerate(results[:per_page])
            ),
        ]
        html = "\n\n".join(blocks)
    size = measure(html)
    if size.plain_len > MAX_CHARS or size.entity_count > MAX_ENTITIES:
        raise RenderError(f"a search page came out at {size.plain_len} characters")
    return html
