"""Last router: unknown commands get a hint, plain text in a private chat is searched
(a hint says so the first time), stale buttons get "this page has expired".

It is included after every feature router, so it only sees what nobody else handled.
"""

from __future__ import annotations

import aiosqlite
from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message

from bot.i18n import Lang, t, t_text
from bot.render.text import clip
from bot.store.chats import mark_search_hinted
from bot.store.database import Database
from bot.telegram.args import MAX_ARGS, ArgsTooLong, bounded
from bot.telegram.callbacks import TokenCache
from bot.telegram.context import ensure_chat
from bot.telegram.routers.search import run_search

MAX_SHOWN_COMMAND = 32


async def unknown_command(message: Message, bot: Bot, lang: Lang) -> None:
    text = message.text or message.caption or ""
    head = text.split(maxsplit=1)[0] if text.strip() else ""
    name, _, mention = head[1:].partition("@")
    if message.chat.type != ChatType.PRIVATE:
        # In groups a bare /cmd may be meant for another bot: answer only when addressed.
        me = await bot.me()
        if not mention or not me.username or mention.lower() != me.username.lower():
            return
    elif mention:
        me = await bot.me()
        if me.username and mention.lower() != me.username.lower():
            return
    shown = clip(name, MAX_SHOWN_COMMAND)
    await message.answer(t("telegram.common.unknown_command", lang, command=shown))


async def plain_text(message: Message, db: Database, lang: Lang, pages: TokenCache[str]) -> None:
    """Plain text in a private chat is a search; the first time, a hint says so."""
    try:
        raw = bounded(message.text, MAX_ARGS)
    except ArgsTooLong as exc:
        await message.answer(t("telegram.common.too_long", lang, limit=exc.limit))
        return
    if not raw:
        return
    chat = message.chat

    async def first_time(conn: aiosqlite.Connection) -> bool:
        row = await ensure_chat(conn, chat, lang, subscribe=False)
        return await mark_search_hinted(conn, row.id)

    hint = await db.write(first_time)
    token = pages.put(raw)
    text, markup = await run_search(db, raw, lang, token, 1)
    await message.answer(text, reply_markup=markup)
    if hint:
        await message.answer(t("telegram.common.plain_text_hint", lang))


async def stale_button(query: CallbackQuery, lang: Lang) -> None:
    await query.answer(t_text("telegram.common.expired", lang), show_alert=True)


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_command, F.text.startswith("/") | F.caption.startswith("/"))
    router.message.register(plain_text, F.chat.type == ChatType.PRIVATE, F.text)
    router.callback_query.register(stale_button)
    return router
