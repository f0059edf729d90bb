"""Telegram's size, formatting and markup rules for outgoing messages."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.emulator.errors import bad_request
from bot.emulator.html import HtmlParseError, parse_html

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_ENTITIES = 100
MAX_RAW = 16 * MAX_TEXT  # bounds the parsing work per request; real messages stay far below
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
MAX_ROW = 8
_BUTTON_KINDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_SCHEMES = ("http://", "https://", "tg://")


@dataclass(frozen=True, slots=True)
class FormattedText:
    text: str  # as sent
    plain: str  # after entity parsing
    entities: list[dict[str, Any]]

    @property
    def too_many_entities(self) -> bool:
        return len(self.entities) > MAX_ENTITIES


# A broadcast sends one text to many chats: parse it once. The emulator never
# mutates parsed entities, so sharing them between messages is safe.
_parse_cached = lru_cache(maxsize=256)(parse_html)


def _check_entities(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(
        isinstance(e, dict)
        and isinstance(e.get("type"), str)
        and isinstance(e.get("offset"), int)
        and isinstance(e.get("length"), int)
        for e in raw
    ):
        raise bad_request("can't parse entities JSON object", rule="entities")
    return [dict(e) for e in raw]


def format_text(
    text: str | None,
    parse_mode: str | None,
    entities: Any,
    *,
    caption: bool = False,
) -> FormattedText:
    """Apply parse_mode (or explicit entities) and the length rules."""
    text = text or ""
    if len(text) > MAX_RAW:
        rule = "caption_too_long" if caption else "text_too_long"
        raise bad_request(f"message {'caption ' if caption else ''}is too long", rule=rule)
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        try:
            parsed = _parse_cached(text)
        except HtmlParseError as exc:
            raise bad_request(exc.description, rule="html") from None
        plain, found = parsed.plain, parsed.entities
    elif mode:
        raise bad_request("unsupported parse_mode", rule="parse_mode")
    else:
        plain, found = text, (_check_entities(entities) if entities is not None else [])
    if caption:
        if len(plain) > MAX_CAPTION:
            raise bad_request("message caption is too long", rule="caption_too_long")
    else:
        if not plain.strip():
            raise bad_request("message text is empty", rule="text_empty")
        if len(plain) > MAX_TEXT:
            raise bad_request("message is too long", rule="text_too_long")
    return FormattedText(text, plain, found)


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Validate an InlineKeyboardMarkup (other keyboards pass through)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object", rule="markup")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'can\'t parse inline keyboard button: field "inline_keyboard" '
            "must be an Array of Arrays",
            rule="markup",
        )
    total = sum(len(row) for row in rows)
    if total > MAX_BUTTONS or any(len(row) > MAX_ROW for row in rows):
        raise bad_request("reply markup is too long", rule="markup_too_long")
    for row in rows:
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            "can't parse inline keyboard button: Text must be a String", rule="markup"
        )
    kinds = [kind for kind in _BUTTON_KINDS if kind in button]
    if not kinds:
        raise bad_request("text buttons are unallowed in the inline keyboard", rule="markup")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID", rule="callback_data")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.lower().startswith(_URL_SCHEMES) or " " in url:
            raise bad_request("BUTTON_URL_INVALID", rule="button_url")
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID", rule="markup")
