"""Topic matching: the same normalization and substring semantics as search."""

from __future__ import annotations

from collections.abc import Iterable

from bot.digest.model import Entry
from bot.text.normalize import normalize


def entry_text(entry: Entry) -> str:
    """The normalized text a topic or search term is looked for in."""
    return normalize("\n".join((entry.title, entry.source or "", entry.summary)))


def matches(text: str, include: Iterable[str], exclude: Iterable[str]) -> bool:
    """True if any include-term is in ``text`` (or there are none) and no exclude-term is.

    ``text`` and the terms must already be normalized.
    """
    if any(term in text for term in exclude):
        return False
    terms = list(include)
    return not terms or any(term in text for term in terms)


def entry_matches(entry: Entry, include: Iterable[str], exclude: Iterable[str]) -> bool:
    """Whether a chat with these (normalized) topics gets this entry."""
    return matches(entry_text(entry), include, exclude)
