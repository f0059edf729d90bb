"""What happens when a handler fails: one log line with the traceback, and a short
apology to the user instead of silence, in the chat's language (bot.i18n.chat_lang)."""

from __future__ import annotations

import logging

import aiosqlite
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent, Message

from bot.config import Settings
from bot.i18n import DEFAULT_LANG, chat_lang, t, t_text
from bot.store.chats import get_chat
from bot.store.database import Database

log = logging.getLogger("bot.telegram")


async def on_error(
    event: ErrorEvent,
    db: Database | None = None,
    settings: Settings | None = None,
) -> bool:
    update = event.update
    log.error(
        "update %s failed: %s: %s",
        update.update_id,
        type(event.exception).__name__,
        event.exception,
        exc_info=event.exception,
    )
    query = update.callback_query
    message = update.message or (
        query.message if query and isinstance(query.message, Message) else None
    )
    user = (query.from_user if query else None) or (message.from_user if message else None)
    stored = None
    if message is not None and db is not None:
        try:
            row = await get_chat(db.reader, message.chat.id)
            stored = row.language if row else None
        except aiosqlite.Error:  # the store may be what failed: the rule without it
            pass
    lang = chat_lang(
        stored,
        user.language_code if user else None,
        settings.default_lang if settings else DEFAULT_LANG,
        chat_type=message.chat.type if message is not None else "private",
    )
    try:
        if query is not None:
            await query.answer(t_text("telegram.common.failed", lang), show_alert=True)
        elif message is not None:
            await message.answer(t("telegram.common.failed", lang))
    except TelegramAPIError as exc:  # Telegram itself is what failed: nothing more to say
        log.warning("could not apologise for update %s: %s", update.update_id, exc.message)
    return True
