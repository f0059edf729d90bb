"""/settings (an inline keyboard) and the typed settings: /time, /tz, /quiet, /thread."""

from __future__ import annotations

import re
from typing import Any

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.config import Settings
from bot.i18n import Lang, Markup, t, t_text
from bot.store.chats import Chat as ChatRow
from bot.store.database import Database
from bot.telegram.callbacks import SettingAction
from bot.telegram.context import change_chat
from bot.telegram.keyboards import settings_keyboard
from bot.telegram.ui import edit_or_answer, typed_args
from bot.text.typed import AS_PUBLISHED, parse_time, resolve_timezone, timezone_label

_RANGE = re.compile(r"(\S+?)\s*[-–~至到]\s*(\S+)")
MAX_TZ = 64


def describe(row: ChatRow, lang: Lang, settings: Settings) -> str:
    if row.status == "active":
        status = t("telegram.settings.status_active", lang)
    elif row.status == "paused":
        status = t("telegram.settings.status_paused", lang)
    else:
        status = t("telegram.settings.status_off", lang)
    quiet = (
        f"{row.quiet_start}–{row.quiet_end}"
        if row.quiet_start and row.quiet_end
        else t("telegram.settings.quiet_off", lang)
    )
    thread = Markup("")
    if row.thread_id is not None:
        thread = t("telegram.settings.thread_line", lang, thread=row.thread_id)
    previews = (
        t("telegram.settings.on", lang) if row.link_previews else t("telegram.settings.off", lang)
    )
    head = t(
        "telegram.settings.head",
        lang,
        status=status,
        language=t("telegram.settings.lang_name", row.language),
        delivery=row.delivery_time or t("telegram.settings.delivery_now", lang),
        tz=timezone_label(row.timezone or settings.tz),
        quiet=quiet,
        summary=t(f"telegram.settings.summary_{row.summary_mode}", lang),
        previews=previews,
        sound=(
            t("telegram.settings.sound_off", lang)
            if row.silent
            else t("telegram.settings.sound_on", lang)
        ),
        thread=thread,
    )
    return head + "\n\n" + t("telegram.settings.tail", lang)


def in_forum_thread(message: Message) -> bool:
    return bool(message.is_topic_message and message.message_thread_id)


def keyboard(row: ChatRow, lang: Lang, message: Message) -> InlineKeyboardMarkup:
    return settings_keyboard(
        lang,
        paused=row.status != "active",
        previews=row.link_previews,
        quiet=bool(row.quiet_start),
        in_thread=in_forum_thread(message),
        silent=row.silent,
    )


async def show(message: Message, db: Database, lang: Lang, settings: Settings) -> None:
    row = await change_chat(db, message.chat, lang)
    await message.answer(describe(row, lang, settings), reply_markup=keyboard(row, lang, message))


async def press(
    query: CallbackQuery,
    callback_data: SettingAction,
    db: Database,
    lang: Lang,
    settings: Settings,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
        return
    key, value = callback_data.key, callback_data.value
    change: dict[str, Any]
    if key == "lang" and value in ("zh", "en"):
        change = {"language": value}
    elif key == "time" and (value == "now" or parse_time(value)):
        change = {"delivery_time": None if value == "now" else parse_time(value)}
    elif key == "summary" and value in ("full", "compact", "titles"):
        change = {"summary_mode": value}
    elif key == "previews" and value in ("0", "1"):
        change = {"link_previews": value == "1"}
    elif key == "silent" and value in ("0", "1"):
        change = {"silent": value == "1"}
    elif key == "quiet" and (value == "off" or _quiet_pair(value)):
        change = {"quiet_hours": _quiet_pair(value)}
    elif key == "pause" and value in ("0", "1"):
        change = {"status": "paused" if value == "1" else "active"}
    elif key == "thread" and in_forum_thread(message):
        change = {"thread_id": message.message_thread_id}
    else:
        await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
        return
    row = await change_chat(db, message.chat, lang, **change)
    await edit_or_answer(
        query, describe(row, row.language, settings), keyboard(row, row.language, message)
    )


def _quiet_pair(value: str) -> tuple[str, str] | None:
    """``2300-0700`` (button) → ("23:00", "07:00"); ``off`` → None."""
    start, _, end = value.partition("-")
    a, b = parse_time(start), parse_time(end)
    return (a, b) if a and b and a != b else None


async def set_time(
    message: Message,
    command: CommandObject,
    db: Database,
    lang: Lang,
    settings: Settings,
) -> None:
    raw = await typed_args(message, command, lang, 16)
    if raw is None:
        return
    if not raw:  # what it is now, and how to change it
        row = await change_chat(db, message.chat, lang)
        delivery = row.delivery_time or t("telegram.settings.delivery_now", lang)
        tz = timezone_label(row.timezone or settings.tz)
        await message.answer(
            t("telegram.settings.time_current", lang, delivery=delivery, tz=tz)
            + "\n"
            + t("telegram.settings.time_usage", lang)
        )
        return
    now = raw.lower() in AS_PUBLISHED
    hhmm = None if now else parse_time(raw)
    if not now and hhmm is None:
        await message.answer(t("telegram.settings.time_usage", lang))
        return
    row = await change_chat(db, message.chat, lang, delivery_time=hhmm)
    delivery = row.delivery_time or t("telegram.settings.delivery_now", lang)
    tz = timezone_label(row.timezone or settings.tz)
    await message.answer(t("telegram.settings.time_set", lang, delivery=delivery, tz=tz))


async def set_tz(
    message: Message,
    command: CommandObject,
    db: Database,
    lang: Lang,
    settings: Settings,
) -> None:
    """An IANA name in any case, a common city (北京, Tokyo) or an offset (UTC+8)."""
    raw = await typed_args(message, command, lang, MAX_TZ)
    if raw is None:
        return
    if not raw:  # what it is now, and how to change it
        row = await change_chat(db, message.chat, lang)
        tz = timezone_label(row.timezone or settings.tz)
        await message.answer(
            t("telegram.settings.tz_current", lang, tz=tz)
            + "\n"
            + t("telegram.settings.tz_usage", lang)
        )
        return
    zone = resolve_timezone(raw)
    if zone is None:
        await message.answer(t("telegram.settings.tz_unknown", lang, tz=raw))
        return
    await change_chat(db, message.chat, lang, timezone=zone)
    await message.answer(t("telegram.settings.tz_set", lang, tz=timezone_label(zone)))


async def set_quiet(
    message: Message,
    command: CommandObject,
    db: Database,
    lang: Lang,
) -> None:
    raw = await typed_args(message, command, lang, 32) or ""
    match = _RANGE.fullmatch(raw)
    pair = None
    if match:
        a, b = parse_time(match.group(1)), parse_time(match.group(2))
        pair = (a, b) if a and b and a != b else None
    if pair is None and raw.lower() not in ("off", "关闭", "关"):
        await message.answer(t("telegram.settings.quiet_usage", lang))
        return
    await change_chat(db, message.chat, lang, quiet_hours=pair)
    shown = f"{pair[0]}–{pair[1]}" if pair else t("telegram.settings.quiet_off", lang)
    await message.answer(t("telegram.settings.quiet_set", lang, quiet=shown))


async def set_thread(message: Message, db: Database, lang: Lang) -> None:
    forum = message.chat.is_forum or message.is_topic_message
    if message.chat.type != ChatType.SUPERGROUP or not forum:
        await message.answer(t("telegram.settings.thread_not_forum", lang))
        return
    thread = message.message_thread_id if message.is_topic_message else None
    await change_chat(db, message.chat, lang, thread_id=thread)
    await message.answer(
        t("telegram.settings.thread_set", lang)
        if thread
        else t("telegram.settings.thread_general", lang)
    )


def build_router() -> Router:
    router = Router(name="settings")
    changes = {"changes": True}
    router.message.register(show, Command("settings"), flags=changes)
    router.message.register(set_time, Command("time"), flags=changes)
    router.message.register(set_tz, Command("tz"), flags=changes)
    router.message.register(set_quiet, Command("quiet"), flags=changes)
    router.message.register(set_thread, Command("thread"), flags=changes)
    router.callback_query.register(press, SettingAction.filter(), flags=changes)
    return router
