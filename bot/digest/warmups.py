"""The warm-up news lines (热身小新闻) before the first section.

Most are bullets; some lost their ``- `` and then either continue the previous
bullet's paragraph (lazy continuation) or stand as their own paragraph. A line
shaped like news (``华为：…``) is its own warm-up; any other line without a
bullet is appended to the warm-up above it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it.token import Token

from bot.digest.inline import BULLET, Line, block_lines

_STRAY_BULLET = re.compile(r"^\s*[–—•·*+]\s+")
_NEWS_LINE = re.compile(r"^\s*[^\s：:，。；]{1,24}\s*[：:]")


class WarmupCollector:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.started = False

    def start(self) -> None:
        self.started = True

    def _add(self, text: str, *, new: bool) -> None:
        text = _STRAY_BULLET.sub("", text).strip()
        if not text:
            return
        if new or not self.lines or _NEWS_LINE.match(text):
            self.lines.append(text)
        else:
            self.lines[-1] = f"{self.lines[-1]} {text}"

    def add_list(self, tokens: Sequence[Token], start: int, stop: int) -> None:
        """A bullet list before the first section: every item is a warm-up."""
        self.started = True
        for line in block_lines(tokens, start, stop + 1):
            text = line.text
            is_item = text.startswith(BULLET)
            self._add(text[2:] if is_item else text, new=is_item)

    def add_paragraph(self, lines: Sequence[Line]) -> None:
        """A paragraph after the warm-up marker: lines missing their ``- ``."""
        if not self.started:
            return
        for line in lines:
            self._add(line.text, new=False)
