"""Tag entries with catalogue topics: which topic, and the terms that matched.

All terms and negative contexts of all topics are compiled into one regular
expression (longest alternative first), run once over the title and once over
source + summary. A negative context is matched like a term, so it consumes the
term inside it (轻量化 is one match and 量化 inside it is never seen); what each
matched string means for each topic is worked out once, at compile time, so 轻量化
still counts for lightweight networks while it masks 量化 for quantization.

Latin terms of at most 4 characters, in capitals in the catalogue (INT8, NPU,
TVM) or starting/ending with a digit need word boundaries; when such a match
fails its boundary, shorter candidates at the same place are tried before moving on.

An entry is about a topic when (see catalog.toml's header) its title names it,
or its source and summary mention it ``min_mentions`` times (at least twice when
only ``weak`` terms do), or once in the lead (the first ``LEAD_CHARS``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot.digest.model import Entry
from bot.text.normalize import normalize
from bot.topics.catalog import Catalog, Topic, load_catalog

LEAD_CHARS = 200
"""A single mention in the summary counts only within its first characters."""

_WORD_CHAR = re.compile(r"[a-z0-9]")
# After a bounded term: a plural s (GPUs) or a version (YOLOv5) is still the term.
_ALLOWED_SUFFIX = re.compile(r"(?:s|v\d+)(?![a-z0-9])")


@dataclass(frozen=True, slots=True)
class TopicHit:
    """A topic found in an entry, and the catalogue term that matched."""

    slug: str
    term: str


@dataclass(frozen=True, slots=True)
class _Mention:
    hit: TopicHit
    weak: bool


@dataclass(frozen=True, slots=True)
class _Literal:
    """One distinct normalized string of the catalogue (term and/or negative context)."""

    text: str
    bounded: bool  # needs word boundaries in the text around it
    mentions: tuple[_Mention, ...]  # what a match of it counts for, after its own negatives


@dataclass
class _Evidence:
    head: list[TopicHit] = field(default_factory=list)
    body: list[tuple[int, _Mention]] = field(default_factory=list)


def _needs_boundary(original: str) -> bool:
    folded = normalize(original)
    if not folded.isascii():
        return False
    letters = [char for char in original if char.isalpha()]
    return (
        len(folded) <= 4
        or (bool(letters) and all(char.isupper() for char in letters))
        or folded[0].isdigit()  # 2-bit, not the end of 32-bit
        or folded[-1].isdigit()
    )


def _bounded_at(text: str, start: int, end: int) -> bool:
    if start > 0 and _WORD_CHAR.match(text, start - 1) and _WORD_CHAR.match(text, start):
        return False
    if end < len(text) and _WORD_CHAR.match(text, end - 1) and _WORD_CHAR.match(text, end):
        return _ALLOWED_SUFFIX.match(text, end) is not None
    return True


def _occurrences(haystack: str, needle: str) -> Iterator[int]:
    start = haystack.find(needle)
    while start >= 0:
        yield start
        start = haystack.find(needle, start + 1)


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A topic's terms and negative contexts, normalized once."""

    slug: str
    negatives: tuple[str, ...]
    terms: tuple[tuple[str, str, bool, bool], ...]  # needle, spelling, bounded, weak

    @classmethod
    def of(cls, topic: Topic) -> _Compiled:
        terms = [(normalize(t), t, _needs_boundary(t), False) for t in topic.terms]
        terms += [(normalize(t), t, _needs_boundary(t), True) for t in topic.weak]
        return cls(topic.slug, tuple(normalize(n) for n in topic.negative), tuple(terms))


def _mentions_inside(literal: str, topics: Iterable[_Compiled]) -> list[_Mention]:
    """The topic terms a match of ``literal`` stands for, minus those inside a negative."""
    mentions: list[_Mention] = []
    for topic in topics:
        masked = [
            (at, at + len(needle))
            for needle in topic.negatives
            if needle in literal
            for at in _occurrences(literal, needle)
        ]
        found: list[_Mention] = []
        needles: list[str] = []
        for needle, term, bounded, weak in topic.terms:
            if needle not in literal:
                continue
            for at in _occurrences(literal, needle):
                end = at + len(needle)
                if bounded and not _bounded_at(literal, at, end):
                    continue
                if any(lo <= at and end <= hi for lo, hi in masked):
                    continue
                found.append(_Mention(TopicHit(topic.slug, term), weak))
                needles.append(needle)
                break
        # 通道剪枝 names the topic once: drop 剪枝 found inside it
        found = [
            mention
            for mention, needle in zip(found, needles, strict=True)
            if not any(needle != other and needle in other for other in needles)
        ]
        # a literal that holds a strong term of the topic is a strong mention
        if any(not mention.weak for mention in found):
            found = [_Mention(mention.hit, False) for mention in found]
        mentions += found
    return mentions


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex for many literals, factored by common prefixes (4× faster than a flat
    alternation), that still prefers the longest literal at a position."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(node[char]) for char in sorted(node) if char]
        ends_here = "" in node
        if not branches:
            return ""
        if len(branches) == 1:
            return f"(?:{branches[0]})?" if ends_here else branches[0]
        # the empty alternative last: a longer literal wins over its prefix
        return "(?:" + "|".join(branches) + ("|" if ends_here else "") + ")"

    return build(trie)


class Matcher:
    """The whole catalogue compiled for tagging; build once, use for every entry."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._negatives: dict[str, frozenset[str]] = {}  # by free word, for match_free_word
        self._min_mentions = {topic.slug: topic.min_mentions for topic in catalog.topics}
        bounded: dict[str, bool] = {}
        for topic in catalog.topics:
            for phrase in (*topic.terms, *topic.weak, *topic.negative):
                key = normalize(phrase)
                bounded[key] = bounded.get(key, False) or _needs_boundary(phrase)
        compiled = [_Compiled.of(topic) for topic in catalog.topics]
        self._literals: dict[str, _Literal] = {
            key: _Literal(key, bounded[key], tuple(_mentions_inside(key, compiled)))
            for key in bounded
        }
        ordered = sorted(self._literals, key=lambda key: (-len(key), key))
        self._regex = re.compile(_trie_pattern(ordered))
        # for a bounded match that fails: the shorter literals it starts with
        self._prefixes: dict[str, tuple[_Literal, ...]] = {}
        for key, literal in self._literals.items():
            if literal.bounded:
                shorter = [other for other in ordered if other != key and key.startswith(other)]
                self._prefixes[key] = tuple(self._literals[other] for other in shorter)

    def scan(self, text: str) -> Iterator[tuple[int, _Literal]]:
        """Each catalogue string found in normalized ``text``, with where it starts."""
        search = self._regex.search
        literals = self._literals
        pos = 0
        while (match := search(text, pos)) is not None:
            start, end = match.span()
            literal: _Literal | None = literals[match.group()]
            if literal is not None and literal.bounded and not _bounded_at(text, start, end):
                literal = None
                for shorter in self._prefixes[match.group()]:
                    if not shorter.bounded or _bounded_at(text, start, start + len(shorter.text)):
                        literal = shorter
                        break
            if literal is None:
                pos = start + 1
                continue
            yield start, literal
            pos = start + len(literal.text)

    def tag(self, title: str, body: str) -> tuple[TopicHit, ...]:
        """Topics of a text with a title and a body (both normalized here): each with
        the terms that matched, title terms first, in catalogue order of topics."""
        evidence: dict[str, _Evidence] = {}
        for _start, literal in self.scan(normalize(title)):
            for mention in literal.mentions:
                evidence.setdefault(mention.hit.slug, _Evidence()).head.append(mention.hit)
        for start, literal in self.scan(normalize(body)):
            for mention in literal.mentions:
                evidence.setdefault(mention.hit.slug, _Evidence()).body.append((start, mention))
        hits: dict[TopicHit, None] = {}
        for topic in self.catalog.topics:
            found = evidence.get(topic.slug)
            if found is None or not self._about(topic.slug, found):
                continue
            for hit in found.head:
                hits[hit] = None
            for _start, mention in found.body:
                hits[mention.hit] = None
        return tuple(hits)

    def _about(self, slug: str, found: _Evidence) -> bool:
        if found.head:
            return True
        needed = self._min_mentions[slug]
        if len({start for start, _mention in found.body}) >= max(2, needed):
            return True
        strong = [start for start, mention in found.body if not mention.weak]
        return needed == 1 and bool(strong) and strong[0] < LEAD_CHARS

    def tag_entry(self, entry: Entry) -> tuple[TopicHit, ...]:
        return self.tag(entry.title, "\n".join((entry.source or "", entry.summary)))

    def topics_for(self, word: str) -> list[Topic]:
        """Catalogue topics a free word overlaps: it is in one of their terms, or they in it."""
        key = normalize(word).strip()
        overlapping: list[Topic] = []
        for topic in self.catalog.topics:
            names = [
                normalize(name) for name in (*topic.terms, *topic.weak, *topic.aliases, topic.zh)
            ]
            if any(key in name or (name and name in key) for name in names):
                overlapping.append(topic)
        return overlapping

    def match_free_word(self, text: str, word: str) -> bool:
        """A reader's free word as a substring of ``text``, except inside the negative
        contexts (that contain the word) of the catalogue topics the word overlaps."""
        key = normalize(word).strip()
        if not key:
            return False
        haystack = normalize(text)
        if key not in haystack:
            return False
        negatives = self._negatives.get(key)
        if negatives is None:
            negatives = self._negatives[key] = frozenset(
                needle
                for topic in self.topics_for(word)
                for needle in (normalize(negative) for negative in topic.negative)
                if key in needle
            )
        masked = [False] * len(haystack)
        for needle in negatives:
            for at in _occurrences(haystack, needle):
                masked[at : at + len(needle)] = [True] * len(needle)
        return any(not all(masked[at : at + len(key)]) for at in _occurrences(haystack, key))


def entry_text(entry: Entry) -> str:
    """The normalized text a free word is looked for in: title, source and summary."""
    return normalize("\n".join((entry.title, entry.source or "", entry.summary)))


@lru_cache(maxsize=1)
def default_matcher() -> Matcher:
    return Matcher(load_catalog())


def tag_entry(entry: Entry) -> tuple[TopicHit, ...]:
    """The catalogue topics of an entry, each with the terms that matched."""
    return default_matcher().tag_entry(entry)


def tag_text(text: str, title: str = "") -> tuple[TopicHit, ...]:
    """The catalogue topics of a free text (treated as a summary under ``title``)."""
    return default_matcher().tag(title, text)


def match_free_word(entry_text: str, word: str) -> bool:
    """Today's substring behaviour for a word that is not in the catalogue, with the
    negative contexts of the topics it overlaps masked out (量化 is not in 轻量化)."""
    return default_matcher().match_free_word(entry_text, word)
