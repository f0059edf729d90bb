"""Printing what a reader would see: a message's plain text, bounded, chat by chat."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

MAX_LINES = 8
MAX_CHARS = 480
LINE_WIDTH = 96  # in terminal columns: a CJK character takes two
RULE = "─"


def width(text: str) -> int:
    """Terminal columns ``text`` takes (wide and full-width characters count twice)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clip(line: str, columns: int = LINE_WIDTH) -> str:
    if width(line) <= columns:
        return line
    out, used = [], 0
    for ch in line:
        used += width(ch)
        if used > columns - 1:
            break
        out.append(ch)
    return "".join(out) + "…"


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def excerpt(text: str, max_lines: int = MAX_LINES, max_chars: int = MAX_CHARS) -> str:
    """The start of ``text`` as a reader sees it, saying how much was left out."""
    lines = [clip(line.rstrip()) for line in text.strip().splitlines() if line.strip()]
    kept: list[str] = []
    used = 0
    for line in lines:
        if len(kept) >= max_lines or used + len(line) > max_chars:
            break
        kept.append(line)
        used += len(line) + 1
    if not kept and lines:
        kept = [lines[0][:max_chars] + "…"]
    hidden = len(lines) - len(kept)
    if hidden > 0:
        kept.append(f"… ({hidden} more lines; {len(text)} characters in all)")
    return "\n".join(kept)


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def chat_block(title: str, messages: Sequence[dict[str, Any]]) -> str:
    """One chat: a header naming it and how much it got, then each message bounded."""
    count = len(messages)
    head = f"{RULE * 2} {title} · {count} message{'s' if count != 1 else ''} "
    out = [head + RULE * max(4, 80 - width(head))]
    if not messages:
        out.append("    (nothing)")
    for n, message in enumerate(messages, start=1):
        out.append(f"  [{n}/{count}]")
        out.append(indent(excerpt(str(message.get("plain") or ""))))
    return "\n".join(out)
