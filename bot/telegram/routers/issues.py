"""/latest (filtered by the chat's topics), /issue DATE and /issues (paged buttons)."""

from __future__ import annotations

import math
import re
from datetime import date as Date

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message

from bot.i18n import Lang, t, t_text
from bot.render.digest import Part, render_digest
from bot.render.text import one_line, trim
from bot.store.chats import Chat as ChatRow
from bot.store.database import Database
from bot.store.entry_topics import issue_tags
from bot.store.issues import get_issue, list_issues
from bot.store.topics import list_topics
from bot.telegram.args import ArgsTooLong, bounded
from bot.telegram.callbacks import IssuesPage, ShowIssue
from bot.telegram.keyboards import issues_keyboard, show_all_keyboard
from bot.telegram.ui import edit_or_answer
from bot.topics.filter import term_label

PER_PAGE = 10
MAX_LISTED_TITLE = 60
_DATE = re.compile(r"(\d{4})[-./年]?(\d{1,2})[-./月]?(\d{1,2})日?")


def parse_date(text: str) -> str | None:
    """``2021-01-05``, ``2021-1-5``, ``20210105`` or ``2021年1月5日`` → ``2021-01-05``."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return Date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return None


async def send_parts(
    message: Message,
    parts: list[Part],
    previews: bool,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send rendered parts in order; the keyboard goes under the last one."""
    options = LinkPreviewOptions(is_disabled=not previews)
    for index, part in enumerate(parts, start=1):
        last = index == len(parts)
        await message.answer(
            part.html, link_preview_options=options, reply_markup=markup if last else None
        )


async def latest(message: Message, db: Database, lang: Lang, chat_row: ChatRow | None) -> None:
    stored = await get_issue(db.reader)
    if stored is None:
        await message.answer(t("telegram.issues.none", lang))
        return
    issue = stored.issue
    topics = await list_topics(db.reader, message.chat.id)
    include = [t.term for t in topics if not t.exclude]
    exclude = [t.term for t in topics if t.exclude]
    labels = [term_label(t.term, lang, t.display) for t in topics if not t.exclude] + [
        "-" + term_label(t.term, lang, t.display) for t in topics if t.exclude
    ]
    mode = chat_row.summary_mode if chat_row else "full"
    previews = chat_row.link_previews if chat_row else False
    parts = render_digest(
        issue,
        lang=lang,
        include=include,
        exclude=exclude,
        topic_labels=labels,
        tags=await issue_tags(db.reader, stored.id),
        mode=mode,
    )
    date = issue.date or ""
    if not parts:
        await message.answer(
            t("telegram.issues.latest_nothing", lang, date=date),
            reply_markup=show_all_keyboard(lang, date),
        )
        return
    filtered = bool(topics) and sum(len(p.entry_keys) for p in parts) < len(issue.entries)
    markup = show_all_keyboard(lang, date) if filtered else None
    await send_parts(message, parts, previews, markup)


async def one_issue(
    message: Message,
    command: CommandObject,
    db: Database,
    lang: Lang,
    chat_row: ChatRow | None,
) -> None:
    try:
        raw = bounded(command.args, 32)
    except ArgsTooLong:
        raw = ""
    date = parse_date(raw) if raw else None
    if date is None:
        await message.answer(t("telegram.issues.usage", lang))
        return
    await send_issue(message, db, lang, chat_row, date)


async def send_issue(
    message: Message, db: Database, lang: Lang, chat_row: ChatRow | None, date: str
) -> bool:
    stored = await get_issue(db.reader, date)
    if stored is None:
        await message.answer(t("telegram.issues.not_found", lang, date=date))
        return False
    mode = chat_row.summary_mode if chat_row else "full"
    parts = render_digest(stored.issue, lang=lang, mode=mode)
    await send_parts(message, parts, chat_row.link_previews if chat_row else False)
    return True


async def issues_page(
    db: Database, lang: Lang, year: int | None, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the issues of ``year`` (the newest year when None or absent)."""
    summaries = await list_issues(db.reader)
    if not summaries:
        return t("telegram.issues.none", lang), None
    years = sorted({int(s.date[:4]) for s in summaries}, reverse=True)
    if year not in years:
        year = years[0]
    of_year = [s for s in summaries if s.date.startswith(f"{year:04d}")]
    pages = max(1, math.ceil(len(of_year) / PER_PAGE))
    page = min(max(page, 1), pages)
    shown = of_year[(page - 1) * PER_PAGE : page * PER_PAGE]
    lines: list[str] = [t("telegram.issues.head", lang, year=year, page=page, pages=pages)]
    for s in shown:
        title = trim(one_line(s.description), MAX_LISTED_TITLE) or "—"
        lines.append(t("telegram.issues.line", lang, date=s.date, title=title, entries=s.entries))
    if len(years) > 1:
        lines.append(t("telegram.issues.hint_years", lang))
    else:
        lines.append(t("telegram.issues.hint", lang))
    markup = issues_keyboard([s.date for s in shown], page, pages, year, years)
    return "\n".join(lines), markup


async def issues(message: Message, command: CommandObject, db: Database, lang: Lang) -> None:
    """/issues, or /issues 2020 for the issues of a year."""
    raw = (command.args or "").strip()
    year = int(raw) if raw.isdecimal() and len(raw) == 4 else None
    text, markup = await issues_page(db, lang, year, 1)
    await message.answer(text, reply_markup=markup)


async def issues_button(
    query: CallbackQuery, callback_data: IssuesPage, db: Database, lang: Lang
) -> None:
    text, markup = await issues_page(db, lang, callback_data.year, callback_data.page)
    await edit_or_answer(query, text, markup)


async def show_button(
    query: CallbackQuery,
    callback_data: ShowIssue,
    db: Database,
    lang: Lang,
    chat_row: ChatRow | None,
) -> None:
    if not isinstance(query.message, Message) or parse_date(callback_data.date) is None:
        await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
        return
    found = await send_issue(query.message, db, lang, chat_row, callback_data.date)
    await query.answer(None if found else t_text("telegram.common.expired", lang))


def build_router() -> Router:
    router = Router(name="issues")
    router.message.register(latest, Command("latest"))
    router.message.register(one_issue, Command("issue"))
    router.message.register(issues, Command("issues"))
    router.callback_query.register(issues_button, IssuesPage.filter())
    router.callback_query.register(show_button, ShowIssue.filter())
    return router
