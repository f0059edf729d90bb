"""A page of search results as one Telegram message.

Results come from the search engine (``bot.search.engine.SearchResult``); this
module only needs their shape (:class:`Hit`): title, link, issue date, and the
title and snippet as *segments* whose ``match`` pieces are shown in bold.
Everything is bounded so that a page always fits one message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.render.entry import safe_url
from bot.render.env import render
from bot.render.i18n import t
from bot.render.split import MAX_CHARS, MAX_ENTITIES, RenderError
from bot.render.text import ELLIPSIS, measure, one_line, trim

MAX_TITLE = 200
MAX_SNIPPET = 240
MAX_MARKS = 6
MAX_QUERY = 64
MAX_PER_PAGE = 6  # 6 bounded results (≤ 13 entities each) always fit one message

Segments = tuple[tuple[str, bool], ...]


class Marked(Protocol):
    """A piece of text, marked when it matched the query (``bot.search.snippet.Segment``)."""

    @property
    def text(self) -> str: ...
    @property
    def match(self) -> bool: ...


class Hit(Protocol):
    """What a page shows of one result (``bot.search.engine.SearchResult`` fits)."""

    @property
    def issue_date(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def title_segments(self) -> Sequence[Marked]: ...
    @property
    def snippet_segments(self) -> Sequence[Marked]: ...


def bound_segments(segments: Sequence[Marked], limit: int = MAX_SNIPPET) -> Segments:
    """At most ``limit`` characters on one line and ``MAX_MARKS`` marks; ``…`` if cut."""
    out: list[tuple[str, bool]] = []
    room, marks = limit, 0
    flat = [(" ".join(seg.text.split()), seg.match) for seg in segments]
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


def _view(result: Hit, lang: str) -> dict[str, object]:
    title = bound_segments(result.title_segments, MAX_TITLE)
    if not "".join(text for text, _ in title).strip():
        plain = trim(one_line(result.title), MAX_TITLE) or t(lang, "digest.no_title")
        title = ((plain, False),)
    return {
        "title": title,
        "url": safe_url(result.url),
        "issue": t(lang, "search.issue", date=result.issue_date) if result.issue_date else "",
        "segments": bound_segments(result.snippet_segments),
    }


def render_search_page(
    results: Sequence[Hit],
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
    title and the issue date, then the snippet, matches in bold; a friendly line when empty.

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
