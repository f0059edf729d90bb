"""Command arguments: bounded, and split the way readers type them."""

from __future__ import annotations

import re

from bot.text.normalize import strip_invisible

MAX_ARGS = 512  # characters of arguments any command accepts
_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」|([^\s,，、;；]+)')


class ArgsTooLong(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"arguments longer than {limit} characters")
        self.limit = limit


def bounded(args: str | None, limit: int = MAX_ARGS) -> str:
    """The stripped arguments without invisible characters (zero-width, NUL, controls),
    or ArgsTooLong when a user pasted a novel."""
    text = strip_invisible(args or "").strip()
    if len(text) > limit:
        raise ArgsTooLong(limit)
    return text


def split_terms(text: str) -> list[str]:
    """``量化, NCNN 剪枝 "model compression" -招聘`` → five terms, in order, no duplicates.

    Commas (also ，、;；) and spaces separate terms; quotes keep a phrase together.
    """
    terms: list[str] = []
    for match in _QUOTED.finditer(strip_invisible(text)):
        term = next(group for group in match.groups() if group is not None).strip()
        if term and term not in terms:
            terms.append(term)
    return terms
