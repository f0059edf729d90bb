"""Every text a reader sees, in Chinese (default) and English: one catalogue for all channels.

The wording lives in ``zh.toml`` and ``en.toml`` beside this module (package data),
as TOML tables whose dotted paths are the keys: ``[telegram.topics]`` ``added = "…"``
is ``t("telegram.topics.added", lang, items=…)``. docs/i18n.md says why TOML and how
to add a text.

Values are Telegram-safe HTML fragments. :func:`t` fills ``{placeholders}`` and
escapes every argument unless it is a :class:`markupsafe.Markup` (a fragment its
caller already built safely), so the result is ``Markup`` too; Jinja2 templates
(autoescape) keep it as it is. :func:`t_text` is the same text as plain text.

A key missing from the catalogue is a programming error (``KeyError``); a test
checks that both languages have the same keys and placeholders, and that every key
the code and the templates use exists. An unknown language falls back to Chinese.

:func:`chat_lang` is the one rule for the language of a chat.
"""

from __future__ import annotations

import html
import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

from markupsafe import Markup, escape

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "Lang",
    "Markup",
    "as_text",
    "catalog",
    "chat_lang",
    "escape",
    "has",
    "lang_from_code",
    "section_name",
    "t",
    "t_text",
]

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")
DEFAULT_LANG: Final[Lang] = "zh"

_TAG = re.compile(r"<[^>]*>")


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = prefix + name
        if isinstance(value, dict):
            flat.update(_flatten(value, key + "."))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise TypeError(f"i18n: {key} must be a string, not {type(value).__name__}")
    return flat


@cache
def catalog() -> dict[Lang, dict[str, str]]:
    """Every text by language and dotted key, read once from the package's TOML files."""
    files = resources.files("bot.i18n")
    return {
        lang: _flatten(tomllib.loads(files.joinpath(f"{lang}.toml").read_text(encoding="utf-8")))
        for lang in LANGS
    }


def _supported(lang: str) -> Lang:
    return "en" if lang == "en" else DEFAULT_LANG


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    """Whether the catalogue has ``key`` (in ``lang``)."""
    return key in catalog()[_supported(lang)]


def t(key: str, lang: str, /, **args: object) -> Markup:
    """The text ``key`` in ``lang`` (HTML), with ``{placeholders}`` filled from ``args``;
    arguments are HTML-escaped unless they are ``Markup``."""
    text = Markup(catalog()[_supported(lang)][key])
    return text.format(**args) if args else text


def t_text(key: str, lang: str, /, **args: object) -> str:
    """The text ``key`` in ``lang`` as plain text: tags removed, entities decoded
    (for what is not HTML: buttons, alerts, menus, e-mail subjects)."""
    return as_text(t(key, lang, **args))


def as_text(fragment: str) -> str:
    """An HTML fragment of the catalogue as plain text: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", fragment))


def section_name(section: str, lang: str) -> str:
    """A section heading in ``lang`` (plain text): known sections are translated,
    others kept as they are."""
    key = "section." + section.strip()
    return t_text(key, lang) if has(key, lang) else section


def lang_from_code(code: str | None) -> Lang | None:
    """A Telegram ``language_code`` as a language of ours: zh* → zh, en* → en, else None."""
    value = (code or "").strip().lower()
    if value.startswith("zh"):
        return "zh"
    if value.startswith("en"):
        return "en"
    return None


def chat_lang(
    stored: str | None,
    language_code: str | None,
    default: Lang = DEFAULT_LANG,
    *,
    chat_type: str = "private",
) -> Lang:
    """The language to use in a chat: the chat's own setting (``stored``, its stored
    row's language) > the Telegram user's ``language_code`` (zh*/en*; anything else does
    not count) > ``default`` (``BOT_DEFAULT_LANG``).

    A group, supergroup or channel never takes the language of whoever spoke first:
    without a stored setting it gets ``default``.
    """
    if stored in LANGS:
        return _supported(stored)
    if chat_type == "private":
        spoken = lang_from_code(language_code)
        if spoken is not None:
            return spoken
    return default
