"""Plain text out of markdown-it tokens: inline runs split into lines, blocks into lines.

A digest entry is mostly one paragraph whose lines are separated by soft or hard
breaks (the maintainers end lines with two spaces), so everything here works in
*lines*: each line is its plain text (Markdown removed) and the links it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from bot.digest.model import Link

BULLET = "- "  # marker of a bullet item's first line in plain text


@dataclass(slots=True)
class Segment:
    """A run of one line: plain text, or a link's text with its href."""

    text: str
    href: str | None = None


@dataclass(slots=True)
class Line:
    """One source line as plain text, with the links found on it."""

    text: str
    links: tuple[Link, ...]
    lineno: int


def inline_segments(children: Sequence[Token]) -> list[list[Segment]]:
    """Split an inline token's children into lines of segments (Markdown removed)."""
    lines: list[list[Segment]] = [[]]
    link_href: str | None = None
    link_text: list[str] = []
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
            link_text = []
        elif kind == "link_close":
            lines[-1].append(Segment("".join(link_text), link_href or ""))
            link_href = None
        elif (
            kind == "html_inline" and link_href is None and child.content.lower().startswith("<br")
        ):
            lines.append([])
    if link_href is not None:  # unbalanced: keep the text
        lines[-1].append(Segment("".join(link_text), link_href))
    return lines


def segments_text(segments: Sequence[Segment]) -> str:
    return "".join(s.text for s in segments).strip()


def segments_links(segments: Sequence[Segment]) -> tuple[Link, ...]:
    return tuple(Link(s.text.strip(), s.href) for s in segments if s.href)


def inline_lines(token: Token, first_line: int) -> list[Line]:
    """Non-empty plain lines of an inline token, numbered from ``first_line`` (1-based)."""
    out: list[Line] = []
    for offset, segments in enumerate(inline_segments(token.children or ())):
        text = segments_text(segments)
        if text:
            out.append(Line(text, segments_links(segments), first_line + offset))
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
                    lines[0] = Line(pending_marker + first.text, first.links, first.lineno)
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
        elif kind in ("fence", "code_block"):
            lineno = tok.map[0] + 1 if tok.map else 0
            for offset, raw in enumerate(tok.content.splitlines()):
                if raw.strip():
                    out.append(Line(raw.rstrip(), (), lineno + offset + 1))
    return out
