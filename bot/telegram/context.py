"""Outer middleware: which language to answer in, and the chat as stored.

Handlers receive ``lang`` (:func:`bot.i18n.chat_lang`: the chat's stored language,
else — in a private chat — the user's Telegram language if zh* or en*, else
BOT_DEFAULT_LANG) and ``chat_row`` (:class:`bot.store.chats.Chat` or ``None`` before
the chat ever subscribed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite
from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject

from bot.config import Settings
from bot.i18n import Lang, chat_lang
from bot.store.chats import Chat as ChatRow
from bot.store.chats import (
    ChatStatus,
    ChatType,
    SummaryMode,
    get_chat,
    set_status,
    update_settings,
    upsert_chat,
)
from bot.store.database import Database

NEW_READER_SUMMARY: SummaryMode = "compact"


def event_message(event: TelegramObject) -> Message | None:
    """The message itself, or the one a pressed button sits under (if still accessible)."""
    if isinstance(event, Message):
        return event
    if isinstance(event, CallbackQuery) and isinstance(event.message, Message):
        return event.message
    return None


def event_chat(event: TelegramObject) -> Chat | None:
    message = event_message(event)
    return message.chat if message is not None else None


class ContextMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat = event_chat(event)
        user = getattr(event, "from_user", None)
        db: Database = data["db"]
        row = await get_chat(db.reader, chat.id) if chat is not None else None
        data["chat_row"] = row
        settings: Settings = data["settings"]
        data["lang"] = chat_lang(
            row.language if row is not None else None,
            user.language_code if user else None,
            settings.default_lang,
            chat_type=chat.type if chat is not None else "private",
        )
        return await handler(event, data)


async def ensure_chat(
    conn: aiosqlite.Connection, chat: Chat, lang: Lang, *, subscribe: bool
) -> ChatRow:
    """The stored chat, created on first use: subscribed (active) only when asked to,
    otherwise paused, so changing a setting never subscribes a group by itself.

    A new chat stores ``lang``, the middleware's :func:`bot.i18n.chat_lang`: the user's
    zh*/en* language in a private chat, BOT_DEFAULT_LANG in a group (never the
    language of whoever spoke first) or when the user's language is neither; and
    compact summaries (a full issue is a wall of text on a phone; full is one tap away).
    Run it inside ``Database.write`` (it reads the chat in the same transaction)."""
    row = await get_chat(conn, chat.id)
    if row is not None:
        return row
    title = chat.title or chat.full_name
    kind = _chat_type(chat.type)
    status: ChatStatus = "active" if subscribe else "paused"
    await upsert_chat(conn, chat.id, kind, title, language=lang, status=status)
    return await update_settings(conn, chat.id, summary_mode=NEW_READER_SUMMARY)


async def change_chat(
    db: Database,
    chat: Chat,
    lang: Lang,
    *,
    subscribe: bool = False,
    status: ChatStatus | None = None,
    **settings: Any,
) -> ChatRow:
    """Store the chat if it is new (see :func:`ensure_chat`), then set its ``status``
    and these ``settings`` (keywords of :func:`bot.store.chats.update_settings`) —
    all in one transaction. Returns the chat as stored afterwards."""

    async def write(conn: aiosqlite.Connection) -> ChatRow:
        row = await ensure_chat(conn, chat, lang, subscribe=subscribe)
        if status is not None and row.status != status:
            await set_status(conn, row.id, status)
        return await update_settings(conn, row.id, **settings)

    return await db.write(write)


def _chat_type(value: str) -> ChatType:
    if value in ("private", "group", "supergroup", "channel"):
        return value  # type: ignore[return-value]
    return "private"
