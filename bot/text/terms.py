"""Splitting what a reader types into terms, the same way in every channel (Telegram's
/topic and /search arguments, the web preferences page's free words)."""

from __future__ import annotations

import re

from bot.text.normalize import strip_invisible

_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」|([^\s,，、;；]+)')


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
