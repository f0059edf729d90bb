"""Numbered entries: ``1. [title | source](url)`` instead of ``- [title | source](url)``.

A section may list its entries as an ordered list; a summary may hold its own ordered
list of points. This module tells the two apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it.token import Token

from bot.digest.entry import opens_with_link, parse_head
from bot.digest.inline import Segment, inline_segments


def _item_heads(tokens: Sequence[Token], start: int, stop: int) -> list[list[Segment]]:
    """First line of each item of the ordered list ``tokens[start:stop]``."""
    level = tokens[start].level + 1
    heads: list[list[Segment]] = []
    for k in range(start + 1, stop):
        tok = tokens[k]
        if tok.type == "list_item_open" and tok.level == level:
            inline = next((t for t in tokens[k:stop] if t.type == "inline"), None)
            lines = inline_segments(inline.children or ()) if inline is not None else [[]]
            heads.append(lines[0])
    return heads


def numbered_entries(tokens: Sequence[Token], start: int, stop: int, *, after_entry: bool) -> bool:
    """Whether the ordered list ``tokens[start:stop]`` holds entries, not a summary's points.

    The first item must open with a link (after an optional ``[tag]``) or name its
    source (``title | source``); then the list is entries when no entry is open
    (it opens the section), when that item names its source, or when most items open
    with a link. A summary's points ("1. 最大值校准；", "1. [ncnn](url)：…" then
    "2. 其他") stay in the summary above.
    """
    heads = _item_heads(tokens, start, stop)
    if not heads:
        return False
    first_has_source = parse_head(heads[0]).source is not None
    if not (opens_with_link(heads[0]) or first_has_source):
        return False
    linked = sum(opens_with_link(head) for head in heads)
    return not after_entry or first_has_source or 2 * linked > len(heads)
