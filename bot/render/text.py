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


# A link written out in the text: scheme or www., or a bare host followed by a path.
_URL = re.compile(
    r"(?<![A-Za-z0-9.-])(?:https?://|www\.|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*",
    re.IGNORECASE,
)
# The end of a cut that leaves a list marker dangling: "贡献如下：1." "；2" "(3)" "④" "a)".
_ENUMERATOR = re.compile(
    r"(?:^|[\s：:；;，,。、（(])(?:[(（]?\d{1,3}[.．、)）]?|[①-⑳]|[A-Za-z][.)）])$"
)
_CLAUSE_END = re.compile(r"[，、：,:](?=\S)|[，、：]")
_TAIL = 2200  # longer than any link Telegram accepts
_URL_TRAILER = ".,;:!?'"
_SOFT_END = "。；.;，,、：:"  # dropped before the ellipsis


def url_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of every link written out in ``text`` (without the
    punctuation that ends a sentence after it: ``https://x.y/z.`` ends before the dot)."""
    spans = []
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _URL_TRAILER:
            end -= 1
        spans.append((start, end))
    return spans


def dangles(head: str) -> bool:
    """``head`` (text before a cut) ends on a list number: "贡献如下：1." "；2" "(3)"."""
    head = head[-_TAIL:].rstrip()  # list numbers are short: look at the end only
    bare = head.rstrip(_SOFT_END)
    if not bare.strip():
        return True
    return bool(_ENUMERATOR.search(head) or _ENUMERATOR.search(bare))


def _ends_on_link(head: str) -> bool:
    spans = url_spans(head[-_TAIL:])
    return bool(spans) and spans[-1][1] == len(head[-_TAIL:])


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` so the head is at most ``limit`` long.

    In order of preference, each the latest one that is neither inside a written-out
    link nor right after a list number: a paragraph end in the second half, a
    sentence end (。！？；. ! ?) past two fifths, a clause end (，、：) or a space in
    the second half, then any character; then anywhere outside a link; exactly at
    ``limit`` when nothing else will do (a link longer than ``limit`` at the start).
    """
    spans = [span for span in url_spans(text[: limit + _TAIL]) if span[0] < limit]

    def outside(cut: int) -> bool:
        return not any(start < cut < end for start, end in spans)

    def fine(cut: int) -> bool:
        return outside(cut) and not dangles(text[:cut])

    head = text[: limit + 1]
    newlines = [m.start() for m in re.finditer("\n", head) if m.start() <= limit]
    sentences = [c for c in sentence_cuts(head) if c <= limit]
    clauses = [m.end() for m in _CLAUSE_END.finditer(head) if m.end() <= limit]
    spaces = [m.start() for m in re.finditer(" ", head) if m.start() <= limit]
    breaks = sorted(set(clauses) | set(spaces))
    for cuts, floor in (
        (newlines, max(limit // 2, 1)),
        (sentences, limit * 2 // 5),
        (breaks, max(limit // 2, 1)),
        (range(1, limit + 1), 1),
    ):
        for cut in reversed(cuts):
            if cut < floor:
                break
            if fine(cut):
                return cut
    # Only list numbers and links: better a dangling number than a broken link.
    return next((c for c in range(limit, 0, -1) if outside(c) and text[:c].strip()), limit)


def _head(text: str, limit: int) -> str:
    head = text[: _cut_point(text, limit)].rstrip()
    if head and head[-1] in _SOFT_END:
        head = head[:-1]
    return head


def trim(text: str, limit: int | None) -> str:
    """``text`` shortened to at most ``limit`` characters at a sentence end, with ``…``.

    ``None`` means no limit. A sentence-final 。；. is replaced by the ellipsis. The
    cut never falls inside a written-out link nor right after a list number; a head
    ending on a (whole) link gets a space before the ellipsis, which a client would
    otherwise take into the link.
    """
    if limit is None or len(text) <= limit:
        return text
    head = _head(text, max(limit - 1, 1))
    if _ends_on_link(head):
        if len(head) + 2 > limit:
            head = _head(text, max(limit - 2, 1))
        if _ends_on_link(head):
            return head + " " + ELLIPSIS
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
