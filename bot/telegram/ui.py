"""Small reply helpers shared by the routers.

Replies need no retry of their own: every call waits its turn in the outbound path
(``bot.telegram.outbound``), which also waits out a 429 and sends again."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.i18n import Lang, t
from bot.telegram.args import MAX_ARGS, ArgsTooLong, bounded


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
