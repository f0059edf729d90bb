"""What happens when a handler fails: one log line with the traceback, and a short
apology to the user instead of silence."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent, Message

from bot.telegram.texts import lang_of, tr

log = logging.getLogger("bot.telegram")


async def on_error(event: ErrorEvent) -> bool:
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
    lang = lang_of(user.language_code if user else None)
    try:
        if query is not None:
            await query.answer(tr(lang, "failed"), show_alert=True)
        elif message is not None:
            await message.answer(tr(lang, "failed"))
    except TelegramAPIError as exc:  # Telegram itself is what failed: nothing more to say
        log.warning("could not apologise for update %s: %s", update.update_id, exc.message)
    return True
