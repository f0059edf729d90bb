"""A page of search results as one Telegram message — what /search answers.

Results come from the search engine (``bot.search.engine.SearchResult``); this
module only needs their shape (:class:`Hit`): title, link, issue date, section,
and the title and snippet as *segments* whose ``match`` pieces are shown in bold.
Everything is bounded so that a page always fits one message: at most
``MAX_PER_PAGE`` results, each with at most ``MAX_MARKS`` bold matches in its
title and as many in its snippet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from bot.i18n import section_name, t_text
from bot.render.entry import safe_url
from bot.render.env import render
from bot.render.split import MAX_CHARS, MAX_ENTITIES, RenderError
from bot.render.text import ELLIPSIS, measure, one_line, trim
from bot.search.query import MAX_QUERY_CHARS, MAX_TERM_CHARS, MAX_TERMS, Notice

MAX_TITLE = 200
MAX_SNIPPET = 240
MAX_MARKS = 6
MAX_QUERY = 64
MAX_LABEL = 40  # issue date, section name
# 6 bounded results (≤ 14 entities, ≤ ~550 characters each) always fit one message
MAX_PER_PAGE = 6

_SPACES = re.compile(r"\s+")

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
    def section(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def title_segments(self) -> Sequence[Marked]: ...
    @property
    def snippet_segments(self) -> Sequence[Marked]: ...


def bound_segments(segments: Sequence[Marked], limit: int = MAX_SNIPPET) -> Segments:
    """At most ``limit`` characters on one line and ``MAX_MARKS`` marks; ``…`` if cut.

    Runs of white space become one space (kept between segments: "HAWQ (" stays so).
    """
    out: list[tuple[str, bool]] = []
    room, marks = limit, 0
    flat = [(_SPACES.sub(" ", seg.text), seg.match) for seg in segments]
    for i, (text, marked) in enumerate(flat):
        if not out or out[-1][0].endswith(" "):
            text = text.lstrip()
        if not text:
            continue
        if len(text) > room or (
            len(text) == room and any(rest.strip() for rest, _ in flat[i + 1 :])
        ):
            out.append((text[: room - 1].rstrip() + ELLIPSIS, False))
            break
        keep = marked and marks < MAX_MARKS
        marks += keep
        out.append((text, keep))
        room -= len(text)
    if out:
        out[-1] = (out[-1][0].rstrip(), out[-1][1])
    return tuple((text, marked) for text, marked in out if text)


def _label(text: str | None) -> str:
    return trim(one_line(text or ""), MAX_LABEL)


def _view(result: Hit, lang: str) -> dict[str, object]:
    title = bound_segments(result.title_segments, MAX_TITLE)
    if not "".join(text for text, _ in title).strip():
        plain = trim(one_line(result.title), MAX_TITLE) or t_text("digest.no_title", lang)
        title = ((plain, False),)
    date, section = _label(result.issue_date), _label(result.section)
    meta = [t_text("search.issue", lang, date=date) if date else "", section_name(section, lang)]
    return {
        "title": title,
        "url": safe_url(result.url),
        "meta": " · ".join(part for part in meta if part),
        "segments": bound_segments(result.snippet_segments),
    }


def notice_text(lang: str, notice: Notice) -> str:
    """Why the query was not used as typed (``bot.search.query.Query.notices``)."""
    limits = {"chars": MAX_QUERY_CHARS, "terms": MAX_TERMS, "term_chars": MAX_TERM_CHARS}
    return t_text(f"search.notice.{notice}", lang, **limits)


def render_search_page(
    results: Sequence[Hit],
    *,
    query: str,
    total: int | str,
    page: int = 1,
    pages: int = 1,
    per_page: int = 5,
    lang: str = "zh",
    notices: Sequence[Notice] = (),
) -> str:
    """One message: a header (query, total, page), notices about how the query was
    cut, then numbered results with a linked title, issue date and section, and the
    snippet with matches in bold; without results, a friendly line with tips.

    ``total`` may be a string such as ``"1000+"``; ``page`` numbers the results
    (page 2 of 5 a page starts at 6).
    """
    shown_query = trim(one_line(query), MAX_QUERY)
    said = [notice_text(lang, n) for n in dict.fromkeys(notices)]
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    if not results:
        html = render("telegram/search_empty.html.j2", lang, query=shown_query, notices=said)
    else:
        first = (max(page, 1) - 1) * per_page + 1
        blocks = [
            render(
                "telegram/search_page.html.j2",
                lang,
                query=shown_query,
                total=total,
                page=page,
                pages=max(pages, page),
                notices=said,
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
