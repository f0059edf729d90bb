"""/topic, /untopic, /topics and their buttons.

A typed topic that names a catalogue topic (量化, quantization, INT8...) follows
that topic; the answer says what it covers and how many entries of the last few
issues it would have sent. Another word is added as a free word (matched as
written) with the closest catalogue topics suggested. ``/topics`` shows the
catalogue as buttons (tap to follow or unfollow, ✓ marks followed ones), the
chat's free words beside them, and how many entries of the latest issue the chat
would have received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import aiosqlite
from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.digest.model import Entry
from bot.i18n import Lang, Markup, t, t_text
from bot.store.chats import Chat as ChatRow
from bot.store.database import Database
from bot.store.entry_topics import issue_tags
from bot.store.issues import get_issue, list_issues
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
from bot.topics.catalog import Topic as CatalogTopic
from bot.topics.catalog import alias_key, load_catalog, suggest
from bot.topics.filter import TOPIC_MARK, entry_matches, term_label, topic_name, topic_of

RECENT_ISSUES = 3  # "how many entries of the last few issues" a new topic would have sent
COVERS = 5  # aliases named in "已关注：量化 — 含 INT8、低比特、二值网络…"


def label(topic: Topic, lang: str) -> str:
    return ("-" if topic.exclude else "") + term_label(topic.term, lang, topic.display)


def word_key(topic: Topic) -> str:
    """A free word's ✕ button key: stable, and different for ``word`` and ``-word``."""
    return topic_key(("-" if topic.exclude else "") + topic.term)


def joined(items: Sequence[str]) -> Markup:
    return Markup("、").join(Markup("<code>{}</code>").format(item) for item in items)


def covers(topic: CatalogTopic, lang: str) -> str:
    """A few of the words the topic covers (its aliases), in the reader's script first."""
    names = {alias_key(topic.zh), alias_key(topic.en), alias_key(topic.slug)}
    aliases = [a for a in topic.aliases if alias_key(a) not in names]
    if lang == "en":
        aliases.sort(key=lambda a: not a.isascii())
    else:  # Chinese words and abbreviations (INT8, BNN), not English spellings
        aliases = [a for a in aliases if not a.isascii() or a != a.lower()]
    shown = "、".join(aliases[:COVERS]) if lang == "zh" else ", ".join(aliases[:COVERS])
    return shown + "…"  # and more: the topic's match terms go beyond its aliases


@dataclass(frozen=True, slots=True)
class _Recent:
    """The last few issues' entries, each with its stored topic slugs."""

    entries: tuple[tuple[Entry, frozenset[str]], ...]
    issues: int

    def count(self, include: Sequence[str], exclude: Sequence[str] = ()) -> int:
        return sum(entry_matches(e, include, exclude, tags) for e, tags in self.entries)


async def _recent(conn: aiosqlite.Connection, n: int) -> _Recent:
    entries: list[tuple[Entry, frozenset[str]]] = []
    summaries = (await list_issues(conn))[:n]
    for summary in summaries:
        stored = await get_issue(conn, summary.date)
        if stored is None:
            continue
        tags = await issue_tags(conn, stored.id)
        entries += [(e, tags.get(e.key, frozenset())) for e in stored.issue.entries]
    return _Recent(tuple(entries), len(summaries))


async def topics_view(
    db: Database,
    chat_id: int,
    lang: Lang,
    notes: Sequence[Markup] = (),
    *,
    confirm_clear: bool = False,
) -> tuple[str, InlineKeyboardMarkup | None]:
    topics = await list_topics(db.reader, chat_id)
    lines = list(notes)
    if not topics:
        lines.append(t("telegram.topics.none", lang))
    else:
        lines.append(t("telegram.topics.head", lang))
        include = [label(topic, lang) for topic in topics if not topic.exclude]
        exclude = [label(topic, lang)[1:] for topic in topics if topic.exclude]
        if include:
            lines.append(t("telegram.topics.include", lang, items=joined(include)))
        if exclude:
            lines.append(t("telegram.topics.exclude", lang, items=joined(exclude)))
        stored = await get_issue(db.reader)
        if stored is not None and stored.issue.entries:
            inc = [topic.term for topic in topics if not topic.exclude]
            exc = [topic.term for topic in topics if topic.exclude]
            tags = await issue_tags(db.reader, stored.id)
            matched = sum(
                entry_matches(e, inc, exc, tags.get(e.key, frozenset()))
                for e in stored.issue.entries
            )
            lines.append(
                t(
                    "telegram.topics.match",
                    lang,
                    date=stored.issue.date or "?",
                    matched=matched,
                    total=len(stored.issue.entries),
                )
            )
    lines.append(t("telegram.topics.catalog_hint", lang))
    states = {topic.slug: ("off" if topic.exclude else "on") for topic in topics if topic.slug}
    catalogue = [
        (topic.slug, topic_name(topic, lang), states.get(topic.slug, ""))
        for topic in load_catalog().topics
    ]
    words = [(label(topic, lang), word_key(topic)) for topic in topics if topic.slug is None]
    if confirm_clear and topics:
        lines.append(t("telegram.topics.clear_confirm", lang, count=len(topics)))
    keyboard = topics_keyboard(lang, catalogue, words, confirm_clear=confirm_clear and bool(topics))
    return "\n".join(lines), keyboard


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


@dataclass
class _Added:
    chat_id: int
    accepted: list[Topic] = field(default_factory=list)
    already: list[Topic] = field(default_factory=list)
    too_long: list[str] = field(default_factory=list)
    not_words: list[str] = field(default_factory=list)  # no letter or digit
    over: list[str] = field(default_factory=list)


def _added_notes(added: _Added, lang: Lang, recent: _Recent) -> list[Markup]:
    notes: list[Markup] = []
    words: list[str] = []
    for topic in added.accepted:
        catalogued = topic_of(topic.term)
        if catalogued is None:
            words.append(label(topic, lang))
            continue
        name = topic_name(catalogued, lang)
        if topic.exclude:
            notes.append(t("telegram.topics.excluded", lang, name=name))
            continue
        notes.append(
            t("telegram.topics.followed", lang, name=name, covers=covers(catalogued, lang))
        )
        if recent.issues:
            notes.append(
                t(
                    "telegram.topics.recent",
                    lang,
                    issues=recent.issues,
                    matched=recent.count([topic.term]),
                    total=len(recent.entries),
                )
            )
    if words:
        notes.append(t("telegram.topics.words_added", lang, items=joined(words)))
        for topic in added.accepted:
            if topic.slug is None and not topic.exclude:
                close = suggest(topic.display)
                if close:
                    names = [topic_name(c, lang) for c in close]
                    notes.append(
                        t("telegram.topics.suggest", lang, word=topic.display, items=joined(names))
                    )
    if added.already:
        notes.append(
            t(
                "telegram.topics.already",
                lang,
                items=joined([label(x, lang) for x in added.already]),
            )
        )
    if added.too_long:
        notes.append(
            t("telegram.topics.too_long", lang, limit=MAX_TOPIC_CHARS, items=joined(added.too_long))
        )
    if added.not_words:
        notes.append(t("telegram.topics.not_words", lang, items=joined(added.not_words)))
    if added.over:
        notes.append(t("telegram.topics.limit", lang, limit=MAX_TOPICS, items=joined(added.over)))
    return notes


async def add(
    message: Message,
    command: CommandObject,
    db: Database,
    lang: Lang,
) -> None:
    terms = await _typed_terms(message, command, lang, t("telegram.topics.usage", lang))
    if not terms:
        return

    async def write(conn: aiosqlite.Connection) -> _Added:
        row = await ensure_chat(conn, message.chat, lang, subscribe=False)
        current = {t.term: t for t in await list_topics(conn, row.id)}
        result = _Added(row.id)
        raws: list[str] = []
        for raw in terms:
            try:
                topic = parse_topic(raw)
            except TopicError as exc:
                (result.too_long if exc.kind == "too_long" else result.not_words).append(raw)
                continue
            old = current.get(topic.term)
            if old is not None and old.exclude == topic.exclude:
                result.already.append(old)
                continue
            if old is None and len(current) >= MAX_TOPICS:
                result.over.append(raw)
                continue
            current[topic.term] = topic
            result.accepted.append(topic)
            raws.append(raw)
        if raws:
            await add_topics(conn, row.id, raws)
        return result

    added = await db.write(write)
    recent = await _recent(db.reader, RECENT_ISSUES) if added.accepted else _Recent((), 0)
    text, markup = await topics_view(db, added.chat_id, lang, _added_notes(added, lang, recent))
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


async def _toggle(db: Database, query: Message, lang: Lang, slug: str) -> list[Markup] | None:
    """Follow a catalogue topic, or unfollow it (followed or excluded); None if unknown."""
    catalogued = load_catalog().get(slug)
    if catalogued is None:
        return None
    chat = query.chat
    term = TOPIC_MARK + slug
    name = topic_name(catalogued, lang)

    async def write(conn: aiosqlite.Connection) -> str:
        row = await ensure_chat(conn, chat, lang, subscribe=False)
        current = await list_topics(conn, row.id)
        if any(topic.term == term for topic in current):
            await remove_topic(conn, row.id, term)
            return "removed"
        if len(current) >= MAX_TOPICS:
            return "over"
        await add_topics(conn, row.id, [term])
        return "followed"

    done = await db.write(write)
    if done == "removed":
        return [t("telegram.topics.removed", lang, items=joined([name]))]
    if done == "over":
        return [t("telegram.topics.limit", lang, limit=MAX_TOPICS, items=joined([name]))]
    recent = await _recent(db.reader, RECENT_ISSUES)
    added = _Added(chat.id, [parse_topic(term)])
    return _added_notes(added, lang, recent)


async def button(
    query: CallbackQuery, callback_data: TopicAction, db: Database, lang: Lang
) -> None:
    if not isinstance(query.message, Message):
        await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
        return
    chat_id = query.message.chat.id
    if callback_data.op == "clear":  # a first press only asks
        text, markup = await topics_view(db, chat_id, lang, confirm_clear=True)
        await edit_or_answer(query, text, markup)
        return
    if callback_data.op == "clearok":
        await db.write(lambda c: clear_topics(c, chat_id))
        notes = [t("telegram.topics.cleared", lang)]
    elif callback_data.op == "keep":
        notes = []
    elif callback_data.op == "tg":
        toggled = await _toggle(db, query.message, lang, callback_data.key)
        if toggled is None:
            await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
            return
        notes = toggled
    else:
        topics = await list_topics(db.reader, chat_id)
        hit = next((t for t in topics if word_key(t) == callback_data.key), None)
        if hit is None:
            await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
            return
        await db.write(lambda c: remove_topic(c, chat_id, hit.term))
        notes = [t("telegram.topics.removed", lang, items=joined([label(hit, lang)]))]
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
