"""The language of a page: ``?lang=`` > ``Accept-Language`` > ``BOT_DEFAULT_LANG``."""

from __future__ import annotations

from bot.i18n import LANGS, Lang, lang_from_code


def chosen_lang(query_lang: str | None) -> Lang | None:
    """``?lang=zh|en`` as a language, or None when absent or unknown."""
    return query_lang if query_lang in LANGS else None


def accepted_lang(header: str | None) -> Lang | None:
    """The reader's preferred language of ours from an ``Accept-Language`` header."""
    ranked: list[tuple[float, int, Lang]] = []
    for i, part in enumerate((header or "")[:1000].split(",")):
        tag, _, params = part.strip().partition(";")
        lang = lang_from_code(tag)
        if lang is None:
            continue
        q = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0
        if 0 < q <= 1:  # also drops nan
            ranked.append((-q, i, lang))
    return min(ranked)[2] if ranked else None
