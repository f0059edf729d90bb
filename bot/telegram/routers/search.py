"""/search: 5 results a page with ‹ › buttons, total count, issue date, linked title
and a snippet with the matches in bold. The query itself waits in a token cache,
so old page buttons answer "this page has expired" once it forgot them."""

from __future__ import annotations

import math
from collections.abc import Sequence

import aiosqlite
from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.render.entry import safe_url
from bot.render.text import clip
from bot.search.engine import RANK_CAP, SearchPage, SearchResult, search
from bot.search.query import MAX_QUERY_CHARS, MAX_TERM_CHARS, MAX_TERMS
from bot.search.snippet import Segment
from bot.telegram.callbacks import SearchPage as PageButton
from bot.telegram.callbacks import TokenCache
from bot.telegram.keyboards import search_keyboard
from bot.telegram.texts import Lang, esc, tr
from bot.telegram.ui import edit_or_answer, typed_args

PER_PAGE = 5
MAX_TITLE = 160
MAX_SHOWN_QUERY = 60


def marked(segments: Sequence[Segment], limit: int) -> str:
    """Segments as escaped HTML with matches in bold, at most ``limit`` characters."""
    out: list[str] = []
    left = limit
    for seg in segments:
        if left <= 0:
            out.append("…")
            break
        text = seg.text[:left]
        left -= len(text)
        out.append(f"<b>{esc(text)}</b>" if seg.match else esc(text))
    return "".join(out)


def result_html(number: int, result: SearchResult, lang: Lang) -> str:
    title = marked(result.title_segments, MAX_TITLE) or esc(result.title[:MAX_TITLE])
    url = safe_url(result.url)
    head = f'<a href="{esc(url)}">{title}</a>' if url else title
    meta = f"{esc(result.issue_date)} · {esc(result.section)}"
    lines = [f"{number}. {head}", f"<i>{meta}</i>"]
    snippet = marked(result.snippet_segments, 200)
    if snippet:
        lines.append(snippet)
    return "\n".join(lines)


def notices(page: SearchPage, lang: Lang) -> list[str]:
    limits = {"chars": MAX_QUERY_CHARS, "terms": MAX_TERMS, "term_chars": MAX_TERM_CHARS}
    return [tr(lang, f"search_notice_{n}", **limits) for n in page.query.notices]


def page_view(
    page: SearchPage, raw: str, lang: Lang, token: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    shown = clip(raw, MAX_SHOWN_QUERY)
    if not page.results:
        return "\n".join([tr(lang, "search_none", query=shown), *notices(page, lang)]), None
    pages = max(1, math.ceil(min(page.total, RANK_CAP) / PER_PAGE))
    number = page.offset // PER_PAGE + 1
    head = tr(lang, "search_head", query=shown, total=page.total_label, page=number, pages=pages)
    blocks = ["\n".join([head, *notices(page, lang)])]
    blocks += [result_html(page.offset + i + 1, r, lang) for i, r in enumerate(page.results)]
    return "\n\n".join(blocks), search_keyboard(token, number, pages)


async def run_search(
    db: aiosqlite.Connection, raw: str, lang: Lang, token: str, number: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    page = await search(db, raw, limit=PER_PAGE, offset=(max(number, 1) - 1) * PER_PAGE)
    return page_view(page, raw, lang, token)


async def search_command(
    message: Message,
    command: CommandObject,
    db: aiosqlite.Connection,
    lang: Lang,
    pages: TokenCache[str],
) -> None:
    raw = await typed_args(message, command, lang)
    if raw is None:
        return
    if not raw:
        await message.answer(tr(lang, "search_usage"))
        return
    token = pages.put(raw)
    text, markup = await run_search(db, raw, lang, token, 1)
    await message.answer(text, reply_markup=markup)


async def turn_page(
    query: CallbackQuery,
    callback_data: PageButton,
    db: aiosqlite.Connection,
    lang: Lang,
    pages: TokenCache[str],
) -> None:
    raw = pages.get(callback_data.token)
    if raw is None:
        await query.answer(tr(lang, "expired"), show_alert=True)
        return
    text, markup = await run_search(db, raw, lang, callback_data.token, callback_data.page)
    await edit_or_answer(query, text, markup)


def build_router() -> Router:
    router = Router(name="search")
    router.message.register(search_command, Command("search"))
    router.callback_query.register(turn_page, PageButton.filter())
    return router
