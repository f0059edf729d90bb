"""Small reply helpers shared by the routers."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.i18n import Lang, t
from bot.telegram.args import MAX_ARGS, ArgsTooLong, bounded

MAX_RETRY_AFTER = 10  # seconds a reply may wait for Telegram's flood limit, once


async def answer(message: Message, text: str, **kwargs: Any) -> Message:
    """``message.answer`` that waits once when Telegram says "retry after" (≤ 10 s).

    For replies of several messages in a row (an issue in parts, the /publish
    report and preview), which can meet the per-chat limit.
    """
    try:
        return await message.answer(text, **kwargs)
    except TelegramRetryAfter as exc:
        if exc.retry_after > MAX_RETRY_AFTER:
            raise
        await asyncio.sleep(exc.retry_after)
        return await message.answer(text, **kwargs)


async def typed_args(
    message: Message, command: CommandObject, lang: Lang, limit: int = MAX_ARGS
) -> str | None:
    """The command's stripped arguments, or None after telling the user they are too long."""
    try:
        return bounded(command.args, limit)
    except ArgsTooLong as exc:
        await message.answer(t("telegram.common.too_long", lang, limit=exc.limit))
        return None


async def edit_or_answer(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the pressed message with ``text`` (a new message if it cannot be edited)."""
    message = query.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                await message.answer(text, reply_markup=markup)
    await query.answer()
