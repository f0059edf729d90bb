"""/search: 5 results a page with ‹ › buttons. The page itself (total count, issue
date, linked title, snippet with the matches in bold) is drawn by
``bot.render.search``. The query waits in a token cache, so old page buttons
answer "this page has expired" once it forgot them."""

from __future__ import annotations

import math

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.i18n import Lang, t, t_text
from bot.render.search import render_search_page
from bot.search.engine import RANK_CAP, search
from bot.store.database import Database
from bot.telegram.callbacks import SearchPage as PageButton
from bot.telegram.callbacks import TokenCache
from bot.telegram.keyboards import search_keyboard
from bot.telegram.ui import edit_or_answer, typed_args

PER_PAGE = 5


async def run_search(
    db: Database, raw: str, lang: Lang, token: str, number: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Page ``number`` of the results for ``raw``, and its ‹ › keyboard."""
    number = max(number, 1)
    page = await search(db.reader, raw, limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
    pages = max(1, math.ceil(min(page.total, RANK_CAP) / PER_PAGE))
    text = render_search_page(
        page.results,
        query=raw,
        total=page.total_label,
        page=number,
        pages=pages,
        per_page=PER_PAGE,
        lang=lang,
        notices=page.query.notices,
    )
    return text, search_keyboard(token, number, pages) if page.results else None


async def search_command(
    message: Message,
    command: CommandObject,
    db: Database,
    lang: Lang,
    pages: TokenCache[str],
) -> None:
    raw = await typed_args(message, command, lang)
    if raw is None:
        return
    if not raw:
        await message.answer(t("telegram.search.usage", lang))
        return
    token = pages.put(raw)
    text, markup = await run_search(db, raw, lang, token, 1)
    await message.answer(text, reply_markup=markup)


async def turn_page(
    query: CallbackQuery,
    callback_data: PageButton,
    db: Database,
    lang: Lang,
    pages: TokenCache[str],
) -> None:
    raw = pages.get(callback_data.token)
    if raw is None:
        await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
        return
    text, markup = await run_search(db, raw, lang, callback_data.token, callback_data.page)
    await edit_or_answer(query, text, markup)


def build_router() -> Router:
    router = Router(name="search")
    router.message.register(search_command, Command("search"))
    router.callback_query.register(turn_page, PageButton.filter())
    return router
