"""Plain text out of markdown-it tokens: inline runs split into lines, blocks into lines.

A digest entry is mostly one paragraph whose lines are separated by soft or hard
breaks (the maintainers end lines with two spaces), so everything here works in
*lines*: each line is its plain text (Markdown removed) and the links it holds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from bot.digest.model import Link

BULLET = "- "  # marker of a bullet item's first line in plain text

# Inline HTML a maintainer may really mean as markup: its tags go, its text stays.
# Any other ``<word>`` (``<vector>``, ``TensorRT<T>``) is the reader's text, kept as is.
_MARKUP_TAGS = frozenset(
    (
        *("a", "abbr", "b", "big", "cite", "code", "del", "em", "font", "i", "img", "ins"),
        *("kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup"),
        *("tt", "u", "var", "wbr"),
    )
)
_TAG_NAME = re.compile(r"^</?([A-Za-z][A-Za-z0-9-]*)")
# Block-level tags an html_block may hold (CommonMark's list, the usual part of it).
_BLOCK_TAGS = frozenset(
    (
        *("p", "div", "table", "thead", "tbody", "tr", "td", "th", "ul", "ol", "li", "dl"),
        *("dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr"),
        *("section", "article", "details", "summary", "center", "figure", "figcaption"),
        *("br", "caption", "header", "footer", "nav", "main", "aside"),
    )
)
_ANY_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>", re.S)
# Schemes never sent to a reader (markdown-it's validateLink list; browsers ignore
# whitespace and controls inside a scheme, so ``java\tscript:`` counts too).
_REFUSED_SCHEME = re.compile(r"^(?:javascript|vbscript|file|data):", re.I)
_SCHEME_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def refused_href(href: str) -> bool:
    """A link destination with a scheme that is never sent (``javascript:``, ``data:``…)."""
    return _REFUSED_SCHEME.match(_SCHEME_NOISE.sub("", href)) is not None


def html_kind(raw: str) -> str:
    """What an ``html_inline`` token is: ``"break"`` (``<br>``), ``"markup"`` (a known
    inline tag or a comment: dropped, its text kept) or ``"text"`` (kept literally)."""
    if raw.startswith("<!--"):
        return "markup"
    name = _TAG_NAME.match(raw)
    if name is None:
        return "text"  # <?…?>, <!DOCTYPE…>, <![CDATA[…]]>
    tag = name.group(1).lower()
    if tag == "br":
        return "break"
    return "markup" if tag in _MARKUP_TAGS else "text"


@dataclass(slots=True)
class Segment:
    """A run of one line: plain text, or a link's text with its href.

    ``html`` holds raw inline HTML met in the run (a tag dropped as markup or kept as
    text), so lint can tell the maintainer. A link with a refused scheme has the empty
    href (like ``[title]()``) and its destination in ``refused``.
    """

    text: str
    href: str | None = None
    html: tuple[str, ...] = ()
    refused: str | None = None


@dataclass(slots=True)
class Line:
    """One source line as plain text, with the links found on it."""

    text: str
    links: tuple[Link, ...]
    lineno: int
    html: tuple[str, ...] = ()  # raw inline HTML found on the line
    refused: tuple[str, ...] = ()  # link destinations with a refused scheme


def _html_block_text(raw: str) -> tuple[str, list[str]]:
    """An html_block's text: markup tags dropped, anything else kept; the tags met."""
    met: list[str] = []

    def replace(match: re.Match[str]) -> str:
        tag = match.group(0)
        met.append(tag)
        if tag.startswith("<!--"):
            return ""
        name = _TAG_NAME.match(tag)
        known = name is not None and name.group(1).lower() in _MARKUP_TAGS | _BLOCK_TAGS
        return "" if known else tag

    return _ANY_TAG.sub(replace, raw), met


def inline_segments(children: Sequence[Token]) -> list[list[Segment]]:
    """Split an inline token's children into lines of segments (Markdown removed).

    Inline HTML: ``<br>`` breaks the line, known markup tags (``<b>``, ``<span …>``)
    are dropped and their text kept, anything else (``<vector>``) stays as text.
    """
    lines: list[list[Segment]] = [[]]
    link_href: str | None = None
    link_refused: str | None = None
    link_text: list[str] = []
    link_html: list[str] = []
    for child in children:
        kind = child.type
        if kind == "text" or kind == "code_inline":
            if link_href is not None:
                link_text.append(child.content)
            else:
                lines[-1].append(Segment(child.content))
        elif kind == "softbreak" or kind == "hardbreak":
            if link_href is not None:
                link_text.append(" ")
            else:
                lines.append([])
        elif kind == "link_open":
            href = child.attrs.get("href", "")
            link_href = href if isinstance(href, str) else ""
            link_refused = None
            if refused_href(link_href):
                link_refused, link_href = link_href, ""
            link_text = []
            link_html = []
        elif kind == "link_close":
            text = "".join(link_text)
            lines[-1].append(Segment(text, link_href or "", tuple(link_html), link_refused))
            link_href = None
        elif kind == "html_inline":
            raw = child.content
            what = html_kind(raw)
            if what == "break":
                if link_href is not None:
                    link_text.append(" ")
                else:
                    lines.append([])
                continue
            text = raw if what == "text" else ""
            if link_href is not None:
                link_text.append(text)
                link_html.append(raw)
            else:
                lines[-1].append(Segment(text, None, (raw,)))
    if link_href is not None:  # unbalanced: keep the text
        text = "".join(link_text)
        lines[-1].append(Segment(text, link_href, tuple(link_html), link_refused))
    return lines


def segments_text(segments: Sequence[Segment]) -> str:
    return "".join(s.text for s in segments).strip()


def segments_links(segments: Sequence[Segment]) -> tuple[Link, ...]:
    return tuple(Link(s.text.strip(), s.href) for s in segments if s.href)


def segments_html(segments: Sequence[Segment]) -> tuple[str, ...]:
    return tuple(raw for s in segments for raw in s.html)


def segments_refused(segments: Sequence[Segment]) -> tuple[str, ...]:
    return tuple(s.refused for s in segments if s.refused is not None)


def inline_lines(token: Token, first_line: int) -> list[Line]:
    """Non-empty plain lines of an inline token, numbered from ``first_line`` (1-based)."""
    out: list[Line] = []
    for offset, segments in enumerate(inline_segments(token.children or ())):
        text = segments_text(segments)
        if text:
            links, html = segments_links(segments), segments_html(segments)
            refused = segments_refused(segments)
            out.append(Line(text, links, first_line + offset, html, refused))
    return out


def block_lines(tokens: Sequence[Token], start: int, stop: int) -> list[Line]:
    """Plain lines of the block tokens ``tokens[start:stop]``.

    List items keep their marker (``- `` or ``1. ``) on their first line, so nested
    bullets and numbered lists survive as readable lines.
    """
    out: list[Line] = []
    counters: list[int | None] = []
    pending_marker = ""
    for i in range(start, stop):
        tok = tokens[i]
        kind = tok.type
        if kind == "inline":
            lineno = tok.map[0] + 1 if tok.map else 0
            lines = inline_lines(tok, lineno)
            if pending_marker:
                if lines:
                    first = lines[0]
                    text = pending_marker + first.text
                    lines[0] = Line(text, first.links, first.lineno, first.html, first.refused)
                pending_marker = ""
            out.extend(lines)
        elif kind == "bullet_list_open":
            counters.append(None)
        elif kind == "ordered_list_open":
            start_attr = tok.attrs.get("start", 1)
            counters.append(int(start_attr) if isinstance(start_attr, int | str) else 1)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            if counters:
                counters.pop()
        elif kind == "list_item_open":
            number = counters[-1] if counters else None
            if number is None and not tok.info:
                pending_marker = BULLET
            else:  # an ordered item, even when its list opened before ``start``
                pending_marker = f"{tok.info or number}{tok.markup or '.'} "
                if number is not None:
                    counters[-1] = number + 1
        elif kind == "html_block":  # "<p>摘要</p>" or "<vector>" alone: keep its text
            lineno = tok.map[0] + 1 if tok.map else 0
            text, met = _html_block_text(tok.content)
            tags = tuple(met)  # reported once, on the block's first line
            for offset, raw in enumerate(text.splitlines()):
                if raw.strip():
                    out.append(Line(raw.strip(), (), lineno + offset, tags))
                    tags = ()
        elif kind in ("fence", "code_block"):
            lineno = tok.map[0] + 1 if tok.map else 0
            for offset, raw in enumerate(tok.content.splitlines()):
                if raw.strip():
                    out.append(Line(raw.rstrip(), (), lineno + offset + 1))
    return out
