"""/topic, /untopic, /topics and their ✕ / "clear all" buttons.

Every answer shows the resulting list and how many entries of the latest issue
the chat would have received with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite
from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.i18n import Lang, Markup, t, t_text
from bot.search.topics import entry_matches
from bot.store.chats import Chat as ChatRow
from bot.store.database import Database
from bot.store.issues import get_issue
from bot.store.topics import (
    MAX_TOPIC_CHARS,
    MAX_TOPICS,
    Topic,
    TopicError,
    add_topics,
    clear_topics,
    list_topics,
    parse_topic,
    remove_topic,
)
from bot.telegram.args import split_terms
from bot.telegram.callbacks import TopicAction, topic_key
from bot.telegram.context import ensure_chat
from bot.telegram.keyboards import topics_keyboard
from bot.telegram.ui import edit_or_answer, typed_args


def label(topic: Topic) -> str:
    return ("-" if topic.exclude else "") + topic.display


def joined(items: list[str]) -> Markup:
    return Markup("、").join(Markup("<code>{}</code>").format(item) for item in items)


async def topics_view(
    db: Database, chat_id: int, lang: Lang, notes: Sequence[str] = ()
) -> tuple[str, InlineKeyboardMarkup | None]:
    topics = await list_topics(db.reader, chat_id)
    lines = list(notes)
    if not topics:
        lines.append(t("telegram.topics.none", lang))
    else:
        lines.append(t("telegram.topics.head", lang))
        include = [topic.display for topic in topics if not topic.exclude]
        exclude = [topic.display for topic in topics if topic.exclude]
        if include:
            lines.append(t("telegram.topics.include", lang, items=joined(include)))
        if exclude:
            lines.append(t("telegram.topics.exclude", lang, items=joined(exclude)))
        stored = await get_issue(db.reader)
        if stored is not None and stored.issue.entries:
            inc = [topic.term for topic in topics if not topic.exclude]
            exc = [topic.term for topic in topics if topic.exclude]
            matched = sum(entry_matches(e, inc, exc) for e in stored.issue.entries)
            lines.append(
                t(
                    "telegram.topics.match",
                    lang,
                    date=stored.issue.date or "?",
                    matched=matched,
                    total=len(stored.issue.entries),
                )
            )
    return "\n".join(lines), topics_keyboard(lang, [label(topic) for topic in topics])


async def show_topics(message: Message, db: Database, lang: Lang, chat_row: ChatRow | None) -> None:
    chat_id = chat_row.id if chat_row else message.chat.id
    text, markup = await topics_view(db, chat_id, lang)
    await message.answer(text, reply_markup=markup)


async def _typed_terms(
    message: Message, command: CommandObject, lang: Lang, usage: Markup
) -> list[str]:
    """The command's topic terms; none after answering "too long" or, when empty, ``usage``."""
    raw = await typed_args(message, command, lang)
    if raw is None:
        return []
    terms = split_terms(raw)
    if not terms:
        await message.answer(usage)
    return terms


async def add(
    message: Message,
    command: CommandObject,
    db: Database,
    lang: Lang,
) -> None:
    terms = await _typed_terms(message, command, lang, t("telegram.topics.usage", lang))
    if not terms:
        return

    async def write(conn: aiosqlite.Connection) -> tuple[int, list[str], list[str], list[str]]:
        row = await ensure_chat(conn, message.chat, lang, subscribe=False)
        current = {t.term for t in await list_topics(conn, row.id)}
        accepted, too_long, over = [], [], []
        for raw in terms:
            try:
                term = parse_topic(raw).term
            except TopicError:
                too_long.append(raw)
                continue
            if term not in current and len(current) >= MAX_TOPICS:
                over.append(raw)
                continue
            current.add(term)
            accepted.append(raw)
        if accepted:
            await add_topics(conn, row.id, accepted)
        return row.id, accepted, too_long, over

    chat_id, accepted, too_long, over = await db.write(write)
    notes: list[str] = []
    if accepted:
        notes.append(t("telegram.topics.added", lang, items=joined(accepted)))
    if too_long:
        notes.append(
            t("telegram.topics.too_long", lang, limit=MAX_TOPIC_CHARS, items=joined(too_long))
        )
    if over:
        notes.append(t("telegram.topics.limit", lang, limit=MAX_TOPICS, items=joined(over)))
    text, markup = await topics_view(db, chat_id, lang, notes)
    await message.answer(text, reply_markup=markup)


async def remove(
    message: Message,
    command: CommandObject,
    db: Database,
    lang: Lang,
    chat_row: ChatRow | None,
) -> None:
    terms = await _typed_terms(message, command, lang, t("telegram.topics.untopic_usage", lang))
    if not terms:
        return
    chat_id = chat_row.id if chat_row else message.chat.id

    async def write(conn: aiosqlite.Connection) -> list[str]:
        return [raw for raw in terms if await remove_topic(conn, chat_id, raw)]

    removed = await db.write(write)
    missing = [raw for raw in terms if raw not in removed]
    notes = []
    if removed:
        notes.append(t("telegram.topics.removed", lang, items=joined(removed)))
    if missing:
        notes.append(t("telegram.topics.missing", lang, items=joined(missing)))
    text, markup = await topics_view(db, chat_id, lang, notes)
    await message.answer(text, reply_markup=markup)


async def button(
    query: CallbackQuery, callback_data: TopicAction, db: Database, lang: Lang
) -> None:
    if not isinstance(query.message, Message):
        await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
        return
    chat_id = query.message.chat.id
    if callback_data.op == "clear":
        await db.write(lambda c: clear_topics(c, chat_id))
        notes = [t("telegram.topics.cleared", lang)]
    else:
        topics = await list_topics(db.reader, chat_id)
        hit = next((t for t in topics if topic_key(label(t)) == callback_data.key), None)
        if hit is None:
            await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
            return
        await db.write(lambda c: remove_topic(c, chat_id, label(hit)))
        notes = [t("telegram.topics.removed", lang, items=joined([label(hit)]))]
    text, markup = await topics_view(db, chat_id, lang, notes)
    await edit_or_answer(query, text, markup)


def build_router() -> Router:
    router = Router(name="topics")
    changes = {"changes": True}
    router.message.register(show_topics, Command("topics"))
    router.message.register(add, Command("topic"), flags=changes)
    router.message.register(remove, Command("untopic"), flags=changes)
    router.callback_query.register(button, TopicAction.filter(), flags=changes)
    return router
