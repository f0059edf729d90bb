"""What a chat's topics let through: the one matching function.

A chat's topic is stored as a *term*: ``#slug`` for a catalogue topic (whatever
the reader typed for it: 量化, quantization or INT8 are all ``#quantization``),
else the normalized free word. Delivery, rendering, /latest, /topics' counts and
publishing's "chats served" all decide with :func:`entry_matches`:

- a catalogue topic matches the entries tagged with it (``bot.topics.match``; the
  store keeps the same tags in ``entry_topics``, computed at ingest);
- a free word matches as a substring, except inside the negative contexts of the
  catalogue topics it overlaps (:func:`bot.topics.match.match_free_word`);
- an entry is wanted when any include term matches (or there is none) and no
  exclude term does.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from functools import lru_cache

from bot.digest.model import Entry
from bot.text.normalize import normalize
from bot.topics.catalog import Topic, load_catalog, resolve
from bot.topics.match import entry_text, match_free_word, tag_entry

TOPIC_MARK = "#"
_SPACE = re.compile(r"\s+")


def subscription_term(raw: str) -> str:
    """How a typed topic is stored: ``#slug`` when it names a catalogue topic, else the
    normalized word (spaces collapsed). Already stored terms map to themselves."""
    topic = resolve(raw)
    if topic is not None:
        return TOPIC_MARK + topic.slug
    return _SPACE.sub(" ", normalize(raw)).strip()


def topic_of(term: str) -> Topic | None:
    """The catalogue topic a stored term stands for, or None for a free word."""
    if not term.startswith(TOPIC_MARK):
        return None
    return load_catalog().get(term[len(TOPIC_MARK) :])


def topic_name(topic: Topic, lang: str) -> str:
    return topic.zh if lang == "zh" else topic.en


def term_label(term: str, lang: str, fallback: str | None = None) -> str:
    """A term as readers see it: the topic's name in ``lang``, else the word as typed."""
    topic = topic_of(term)
    if topic is not None:
        return topic_name(topic, lang)
    return fallback if fallback is not None else term


@lru_cache(maxsize=8192)
def entry_topics(entry: Entry) -> frozenset[str]:
    """The slugs of the catalogue topics an entry is about (what ingest stores)."""
    return frozenset(hit.slug for hit in tag_entry(entry))


@lru_cache(maxsize=8192)
def _text(entry: Entry) -> str:
    return entry_text(entry)


def term_matches(entry: Entry, term: str, tags: Collection[str] | None = None) -> bool:
    """Whether one stored term (``#slug`` or free word) matches the entry.

    ``tags``: the entry's stored topic slugs; computed from the entry when None.
    """
    topic = topic_of(term)
    if topic is not None:
        return topic.slug in (entry_topics(entry) if tags is None else tags)
    return bool(term) and match_free_word(_text(entry), term)


def matching_terms(
    entry: Entry, include: Iterable[str], tags: Collection[str] | None = None
) -> list[str]:
    """The include terms that match the entry, in their order (why the entry came)."""
    return [term for term in include if term_matches(entry, term, tags)]


def entry_matches(
    entry: Entry,
    include: Iterable[str],
    exclude: Iterable[str],
    tags: Collection[str] | None = None,
) -> bool:
    """Whether a chat with these stored terms gets this entry."""
    if any(term_matches(entry, term, tags) for term in exclude):
        return False
    terms = list(include)
    return not terms or any(term_matches(entry, term, tags) for term in terms)
