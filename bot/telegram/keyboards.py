"""Inline keyboards. Button labels: plain text of the i18n catalogue; data: callbacks.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import Lang, t_text
from bot.render.text import clip
from bot.telegram.callbacks import (
    IssuesPage,
    PublishAction,
    SearchPage,
    SettingAction,
    ShowIssue,
    TopicAction,
)

Button = InlineKeyboardButton
BUTTON_LABEL = 40  # characters of user text shown on a button


def _label(text: str) -> str:
    return clip(text, BUTTON_LABEL)


TopicState = str  # "on" (followed), "off" (excluded) or "" (neither)
TOPIC_MARKS = {"on": "✓ ", "off": "🚫 ", "": ""}


def topics_keyboard(
    lang: Lang,
    catalogue: Sequence[tuple[str, str, TopicState]],
    words: Sequence[tuple[str, str]],
    *,
    confirm_clear: bool = False,
) -> InlineKeyboardMarkup:
    """The catalogue as buttons (``(slug, name, state)``: tap to follow or unfollow, ✓
    marks followed ones, 🚫 excluded ones), then one ✕ per free word (``(label, key)``,
    ``-`` for exclusions) and "clear all" when the chat has any topic — after a first
    press of it (``confirm_clear``), "yes, clear" and "cancel" in its place."""
    kb = InlineKeyboardBuilder()
    for slug, name, state in catalogue:
        kb.button(
            text=TOPIC_MARKS[state] + _label(name), callback_data=TopicAction(op="tg", key=slug)
        )
    kb.adjust(3)
    free = [
        Button(text="✕ " + _label(label), callback_data=TopicAction(op="rm", key=key).pack())
        for label, key in words
    ]
    for start in range(0, len(free), 2):
        kb.row(*free[start : start + 2])
    if confirm_clear:
        kb.row(
            Button(
                text=t_text("telegram.topics.btn_clear_confirm", lang),
                callback_data=TopicAction(op="clearok").pack(),
            ),
            Button(
                text=t_text("telegram.topics.btn_clear_cancel", lang),
                callback_data=TopicAction(op="keep").pack(),
            ),
        )
    elif words or any(state for _, _, state in catalogue):
        kb.row(
            Button(
                text=t_text("telegram.topics.btn_clear", lang),
                callback_data=TopicAction(op="clear").pack(),
            )
        )
    return kb.as_markup()


def pager_row(page: int, pages: int, make: Callable[[int], CallbackData]) -> list[Button]:
    """‹ n/N › (arrows only where there is a page to go to)."""
    row: list[Button] = []
    if page > 1:
        row.append(Button(text="‹", callback_data=make(page - 1).pack()))
    row.append(Button(text=f"{page}/{pages}", callback_data=make(page).pack()))
    if page < pages:
        row.append(Button(text="›", callback_data=make(page + 1).pack()))
    return row


def search_keyboard(token: str, page: int, pages: int) -> InlineKeyboardMarkup | None:
    if pages <= 1:
        return None
    row = pager_row(page, pages, lambda p: SearchPage(token=token, page=p))
    return InlineKeyboardMarkup(inline_keyboard=[row])


YEARS_PER_ROW = 4


def issues_keyboard(
    dates: Sequence[str], page: int, pages: int, year: int, years: Sequence[int]
) -> InlineKeyboardMarkup:
    """A button per listed issue (opens it), ‹ n/N › within ``year``, and a button per
    year of the archive (newest first, the shown one marked) when there are several."""
    kb = InlineKeyboardBuilder()
    for date in dates:
        kb.button(text=date, callback_data=ShowIssue(date=date, all=True))
    kb.adjust(2)
    if pages > 1:
        kb.row(*pager_row(page, pages, lambda p: IssuesPage(year=year, page=p)))
    if len(years) > 1:
        row = [
            Button(
                text=f"· {y} ·" if y == year else str(y),
                callback_data=IssuesPage(year=y).pack(),
            )
            for y in years
        ]
        for start in range(0, len(row), YEARS_PER_ROW):
            kb.row(*row[start : start + YEARS_PER_ROW])
    return kb.as_markup()


def show_all_keyboard(lang: Lang, date: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=t_text("telegram.issues.btn_show_all", lang),
        callback_data=ShowIssue(date=date, all=True),
    )
    return kb.as_markup()


def settings_keyboard(
    lang: Lang,
    *,
    paused: bool,
    previews: bool,
    quiet: bool,
    in_thread: bool,
    silent: bool = False,
) -> InlineKeyboardMarkup:
    def btn(text: str, key: str, value: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=SettingAction(key=key, value=value).pack()
        )

    def toggle(
        state: bool, key: str, when_on: tuple[str, str], when_off: tuple[str, str]
    ) -> InlineKeyboardButton:
        """A button flipping a setting: its (label, value) while on, and while off."""
        label, value = when_on if state else when_off
        return btn(label, key, value)

    other: Lang = "en" if lang == "zh" else "zh"
    rows = [
        [btn(t_text("telegram.settings.btn_lang", lang), "lang", other)],
        [btn(t_text("telegram.settings.btn_now", lang), "time", "now")]
        + [btn(hhmm, "time", hhmm.replace(":", "")) for hhmm in ("08:00", "12:00", "20:00")],
        [
            btn(t_text("telegram.settings.summary_full", lang), "summary", "full"),
            btn(t_text("telegram.settings.summary_compact", lang), "summary", "compact"),
            btn(t_text("telegram.settings.summary_titles", lang), "summary", "titles"),
        ],
        [
            toggle(
                previews,
                "previews",
                (t_text("telegram.settings.btn_previews_off", lang), "0"),
                (t_text("telegram.settings.btn_previews_on", lang), "1"),
            ),
            toggle(
                quiet,
                "quiet",
                (t_text("telegram.settings.btn_quiet_off", lang), "off"),
                (t_text("telegram.settings.btn_quiet", lang), "2300-0700"),
            ),
        ],
        [
            toggle(
                silent,
                "silent",
                (t_text("telegram.settings.btn_sound", lang), "0"),
                (t_text("telegram.settings.btn_silent", lang), "1"),
            ),
            toggle(
                paused,
                "pause",
                (t_text("telegram.settings.btn_resume", lang), "0"),
                (t_text("telegram.settings.btn_pause", lang), "1"),
            ),
        ],
    ]
    if in_thread:
        rows.append([btn(t_text("telegram.settings.btn_here_thread", lang), "thread", "here")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def publish_keyboard(lang: Lang, token: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t_text("telegram.admin.btn_confirm", lang),
                    callback_data=PublishAction(token=token, ok=True).pack(),
                ),
                InlineKeyboardButton(
                    text=t_text("telegram.admin.btn_cancel", lang),
                    callback_data=PublishAction(token=token, ok=False).pack(),
                ),
            ]
        ]
    )
