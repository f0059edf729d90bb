"""Plain-text helpers: sentence-aware trimming and chunking, and measuring our own HTML.

Everything here works on raw (unescaped) text, so cutting can never land inside
a tag or an HTML entity: escaping happens afterwards, in the templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

ELLIPSIS = "…"
# Chinese sentence ends (the brief's 。！？；) and Latin ones followed by a space.
_SENTENCE_END = re.compile(r"[。！？；!?](?:[”’」』）)]*)|[.;](?=\s)")
_SPACES = re.compile(r"[ \t\u3000]+")


def clean(text: str) -> str:
    """Collapse runs of spaces, drop blank lines and trailing spaces of each line."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n"))
    return "\n".join(line for line in lines if line)


def clip(text: str, width: int) -> str:
    """At most ``width`` characters, the last one ``…`` when cut (for labels, not prose)."""
    return text if len(text) <= width else text[: width - 1] + ELLIPSIS


def one_line(text: str) -> str:
    """The text on a single line (paragraphs joined by a space)."""
    return " ".join(clean(text).split("\n"))


def sentence_cuts(text: str) -> list[int]:
    """Offsets just after each sentence end in ``text``."""
    return [m.end() for m in _SENTENCE_END.finditer(text)]


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` so the head is at most ``limit`` long: a sentence end if
    one is reasonably far in, else the last space, else exactly at ``limit``."""
    head = text[: limit + 1]
    newline = head.rfind("\n", 0, limit + 1)
    if newline >= max(limit // 2, 1):
        return newline
    cuts = [c for c in sentence_cuts(head) if c <= limit]
    if cuts and cuts[-1] >= limit * 2 // 5:
        return cuts[-1]
    space = head.rfind(" ", 0, limit + 1)
    if space >= max(limit // 2, 1):
        return space
    return limit


def trim(text: str, limit: int | None) -> str:
    """``text`` shortened to at most ``limit`` characters at a sentence end, with ``…``.

    ``None`` means no limit. A sentence-final 。；. is replaced by the ellipsis.
    """
    if limit is None or len(text) <= limit:
        return text
    limit = max(limit - 1, 1)
    head = text[: _cut_point(text, limit)].rstrip()
    if head and head[-1] in "。；.;，,、：:":
        head = head[:-1]
    return head + ELLIPSIS


def chunk(text: str, size: int, first: int | None = None) -> list[str]:
    """Split ``text`` into pieces of at most ``size`` characters (``first`` for the
    first piece), nothing lost: at paragraph breaks first, then at sentence ends
    (。！？；), then at spaces, and only as a last resort inside a run of characters."""
    if size < 1 or (first is not None and first < 1):
        raise ValueError("chunk size must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > (limit := first if first is not None and not pieces else size):
        cut = _cut_point(rest, limit)
        head, rest = rest[:cut].rstrip(), rest[cut:].strip()
        if head:
            pieces.append(head)
    if rest:
        pieces.append(rest)
    return pieces


@dataclass(frozen=True, slots=True)
class Measure:
    plain_len: int
    entity_count: int


class _Measurer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.entities = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.entities += 1

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def to_plain(html: str) -> tuple[str, int]:
    """The text a reader sees for our own HTML, and how many formatting entities it has.

    This reads only the HTML our templates produce (Telegram's tag set, escaped
    text); it is not a validator — the emulator's parser is the authority in tests.
    """
    parser = _Measurer()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts), parser.entities


def measure(html: str) -> Measure:
    plain, entities = to_plain(html)
    return Measure(len(plain), entities)
