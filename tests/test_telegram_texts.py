"""Every catalogue text is valid Telegram HTML in zh and en, even when the values
filled in are hostile; the same holds for /help and keyboards' callback data.
(Keys, placeholders and escaping rules of the catalogue: tests/test_i18n.py.)"""

from __future__ import annotations

import string

import pytest

from bot.emulator.html import parse_html
from bot.i18n import LANGS, catalog, t
from bot.telegram.callbacks import (
    IssuesPage,
    SearchPage,
    SettingAction,
    ShowIssue,
    TopicAction,
    topic_key,
)
from bot.telegram.keyboards import issues_keyboard, settings_keyboard, topics_keyboard
from bot.telegram.routers.start import help_text
from bot.topics.catalog import load_catalog

HOSTILE = '<b>&amp; "x" </a>'


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(catalog()["zh"]))
def test_every_text_parses_with_hostile_values(key: str) -> None:
    for lang in LANGS:
        values = dict.fromkeys(fields(catalog()[lang][key]), HOSTILE)
        parsed = parse_html(t(key, lang, **values))
        assert parsed.plain.count(HOSTILE) == len(values) or not values


def test_help_parses_in_both_languages() -> None:
    for lang in LANGS:
        for admin in (False, True):
            assert len(parse_html(help_text(lang, admin=admin)).plain) < 4096


def test_callback_data_stays_within_64_bytes() -> None:
    longest = [
        SearchPage(token="x" * 8, page=200).pack(),
        IssuesPage(year=10_000, page=10_000).pack(),
        ShowIssue(date="2021-01-05", all=True).pack(),
        TopicAction(op="clear").pack(),
        SettingAction(key="summary", value="compact").pack(),
        SettingAction(key="quiet", value="2300-0700").pack(),
    ]
    catalogue = [(t.slug, t.zh, "on") for t in load_catalog().topics]
    kb = topics_keyboard("zh", catalogue, [("长" * 32, topic_key("长" * 32))] * 20)
    longest += [b.callback_data or "" for row in kb.inline_keyboard for b in row]
    panel = settings_keyboard("en", paused=True, previews=True, quiet=True, in_thread=True)
    longest += [b.callback_data or "" for row in panel.inline_keyboard for b in row]
    listing = issues_keyboard(["2021-01-05"] * 10, 99, 99, 9999, list(range(9999, 1989, -1)))
    longest += [b.callback_data or "" for row in listing.inline_keyboard for b in row]
    assert all(len(data.encode()) <= 64 for data in longest)
