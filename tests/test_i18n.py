"""The one i18n catalogue (bot/i18n/*.toml): complete in both languages, every key the
code and the templates use exists, arguments are escaped, and one language rule."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from markupsafe import Markup

from bot.config import Settings
from bot.i18n import (
    LANGS,
    as_text,
    catalog,
    chat_lang,
    has,
    lang_from_code,
    section_name,
    t,
    t_text,
)
from bot.search.query import Notice
from bot.telegram.registry import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
CODE_KEY = re.compile(r"""\bt(?:_text)?\(\s*["']([\w.]+)["']""")
TEMPLATE_KEY = re.compile(r"""\bt\(\s*["']([\w.]+)["']""")

# Keys built at run time (f-strings) — keep this list short; each must exist.
DYNAMIC_KEYS = {
    *(f"search.notice.{notice}" for notice in Notice.__args__),  # bot/render/search.py
    *(f"telegram.settings.summary_{mode}" for mode in ("full", "compact", "titles")),  # prefs
    *(f"commands.{spec.name}" for spec in COMMANDS),  # /help and setMyCommands
}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def used_keys() -> dict[str, set[Path]]:
    found: dict[str, set[Path]] = {}
    sources = [(p, CODE_KEY) for p in (ROOT / "bot").rglob("*.py")]
    sources += [(p, TEMPLATE_KEY) for p in (ROOT / "templates").rglob("*.j2")]
    for path, pattern in sources:
        for key in pattern.findall(path.read_text(encoding="utf-8")):
            found.setdefault(key, set()).add(path.relative_to(ROOT))
    return found


def one_language_only(texts: dict[str, dict[str, str]]) -> list[str]:
    return sorted(texts["zh"].keys() ^ texts["en"].keys())


def test_every_key_exists_in_both_languages() -> None:
    assert one_language_only(catalog()) == []  # type: ignore[arg-type]


def test_placeholders_are_the_same_in_both_languages() -> None:
    zh, en = catalog()["zh"], catalog()["en"]
    for key in zh:
        assert fields(zh[key]) == fields(en[key]), key


def test_every_key_used_in_code_and_templates_exists() -> None:
    used = used_keys()
    assert len(used) > 50, "the scan found (almost) nothing: did the call style change?"
    missing = {key: sorted(map(str, paths)) for key, paths in used.items() if not has(key)}
    assert missing == {}
    assert sorted(key for key in DYNAMIC_KEYS if not has(key)) == []


def test_every_catalogue_key_is_used() -> None:
    unused = catalog()["zh"].keys() - used_keys().keys() - DYNAMIC_KEYS
    assert sorted(k for k in unused if not k.startswith("section.")) == []


def test_a_key_in_one_language_only_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = {"zh": {**catalog()["zh"], "only.zh": "只有中文"}, "en": catalog()["en"]}
    assert one_language_only(broken) == ["only.zh"]
    monkeypatch.setattr("bot.i18n.catalog", lambda: broken)
    assert t("only.zh", "zh") == "只有中文"
    with pytest.raises(KeyError):
        t("only.zh", "en")


def test_arguments_are_escaped_unless_markup() -> None:
    out = t("telegram.topics.added", "en", items="<b>")
    assert isinstance(out, Markup)
    assert out == "Added: &lt;b&gt;"
    assert t("telegram.topics.added", "en", items=Markup("<code>a</code>")) == (
        "Added: <code>a</code>"
    )
    assert t("telegram.topics.added", "zh", items='"&') == "已添加：&#34;&amp;"


def test_plain_text_twin_drops_tags_and_decodes_entities() -> None:
    head = t("telegram.issues.head", "en", year=2021, page=1, pages=2)
    assert head == "<b>Past issues · 2021</b> (page 1/2)"
    assert t_text("telegram.issues.head", "en", year=2021, page=1, pages=2) == (
        "Past issues · 2021 (page 1/2)"
    )
    assert t_text("telegram.topics.added", "en", items="<b> & ") == "Added: <b> & "
    assert as_text("<i>a &lt; b</i>") == "a < b"


def test_wording_is_kept_and_unknown_languages_fall_back_to_chinese() -> None:
    assert t("digest.name", "fr") == "嵌入式AI简报"
    assert t("digest.filter", "en", topics="量化", matched=1, total=2).endswith("1/2 entries")
    assert t("commands.start", "zh") == "订阅并查看用法"
    assert section_name("论文", "en") == "Papers"
    assert section_name("未知栏目", "en") == "未知栏目"


def test_templates_use_the_catalogue_without_double_escaping() -> None:
    from bot.render.env import render

    out = render("telegram/search_empty.html.j2", "en", query="<x>", notices=[])
    assert out.startswith("Nothing found for “&lt;x&gt;”.")


def test_language_codes() -> None:
    codes = ("zh", "zh-hans", "ZH-TW", "en", "en-GB", "de", "", None)
    assert [lang_from_code(c) for c in codes] == ["zh", "zh", "zh", "en", "en", None, None, None]


@pytest.mark.parametrize(
    ("stored", "code", "chat_type", "default", "expected"),
    [
        (None, "zh-hans", "private", "zh", "zh"),  # private zh user
        (None, "en-US", "private", "zh", "en"),  # private en user
        (None, "de", "private", "zh", "zh"),  # neither: BOT_DEFAULT_LANG
        (None, None, "private", "en", "en"),
        (None, "de", "private", "en", "en"),  # BOT_DEFAULT_LANG=en
        (None, "zh", "private", "en", "zh"),  # the user's zh beats BOT_DEFAULT_LANG=en
        ("en", "zh", "private", "zh", "en"),  # the stored setting wins
        ("zh", "en", "private", "en", "zh"),
        (None, "en", "group", "zh", "zh"),  # a group: not the speaker's language
        (None, "zh", "supergroup", "en", "en"),
        ("en", "zh", "supergroup", "zh", "en"),  # a group's own setting wins
    ],
)
def test_chat_language_rule(
    stored: str | None, code: str | None, chat_type: str, default: str, expected: str
) -> None:
    assert chat_lang(stored, code, default, chat_type=chat_type) == expected  # type: ignore[arg-type]


def test_a_group_with_a_zh_and_an_en_speaker_keeps_one_language() -> None:
    first = chat_lang(None, "en", "zh", chat_type="group")
    second = chat_lang(None, "zh-hans", "zh", chat_type="group")
    assert first == second == "zh"
    assert chat_lang(None, "zh-hans", "en", chat_type="group") == "en"


def test_bot_default_lang_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).default_lang == "zh"  # type: ignore[call-arg]
    monkeypatch.setenv("BOT_DEFAULT_LANG", "en")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.default_lang == "en"
    assert chat_lang(None, "de", settings.default_lang) == "en"
    monkeypatch.setenv("BOT_DEFAULT_LANG", "de")
    with pytest.raises(ValueError):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_both_languages_are_loaded() -> None:
    assert tuple(catalog()) == LANGS
