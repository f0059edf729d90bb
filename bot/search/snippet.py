"""Marking matches in the original text: segments callers render (bold, escaped)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.text.normalize import normalize_mapped

SNIPPET_CHARS = 120
BEFORE_CHARS = 30


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    match: bool = False


def _spans(norm: str, needles: Sequence[str]) -> list[tuple[int, int]]:
    if not needles:
        return []
    ordered = sorted(set(needles), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(n) for n in ordered))
    return [(m.start(), m.end()) for m in pattern.finditer(norm) if m.end() > m.start()]


def mark(text: str, needles: Sequence[str], *, width: int | None = None) -> tuple[Segment, ...]:
    """``text`` as segments with every needle occurrence marked.

    Needles are normalized (as by ``normalize``). With ``width``, only a window
    of about that many characters around the first match is kept, with ``…``
    where text was left out.
    """
    norm, owners = normalize_mapped(text)
    spans = [(owners[a], owners[b - 1] + 1) for a, b in _spans(norm, needles)]
    start, end = 0, len(text)
    if width is not None and len(text) > width:
        first = spans[0][0] if spans else 0
        start = max(0, min(first - BEFORE_CHARS, len(text) - width))
        end = start + width
    segments: list[Segment] = [Segment("…")] if start > 0 else []
    pos = start
    for a, b in spans:
        if b <= pos or a >= end:
            continue
        if b > end:  # never cut a match in half
            end = min(b, len(text))
        a = max(a, pos)
        if a > pos:
            segments.append(Segment(text[pos:a]))
        segments.append(Segment(text[a:b], True))
        pos = b
    if pos < end:
        segments.append(Segment(text[pos:end]))
    if end < len(text):
        segments.append(Segment("…"))
    return tuple(segments)


def snippet(texts: Sequence[str], needles: Sequence[str]) -> tuple[Segment, ...]:
    """A window of ``SNIPPET_CHARS`` around the first match in the first of ``texts``
    that has one (else the start of the first text), whitespace collapsed."""
    flats = [" ".join(text.split()) for text in texts if text.strip()]
    if not flats:
        return ()
    for flat in flats:
        segments = mark(flat, needles, width=SNIPPET_CHARS)
        if any(s.match for s in segments):
            return segments
    return mark(flats[0], (), width=SNIPPET_CHARS)


def render(segments: Sequence[Segment], before: str = "**", after: str = "**") -> str:
    """Segments as text with matches wrapped (e.g. in ``**``)."""
    return "".join(f"{before}{s.text}{after}" if s.match else s.text for s in segments)
