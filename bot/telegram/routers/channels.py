"""/channel: a reader subscribes a channel they own, and manages it from the private chat.

``/channel @mychannel`` checks with Telegram that the bot is an administrator of that
channel and that the user is one too, then subscribes the channel (its own topics and
settings, its own outbox rows — deliveries go to the channel's chat id like to any
chat). ``/channel @mychannel 量化, NCNN`` also adds topics; ``/channel`` alone shows
each of the user's channels with buttons (summary mode, ✕ per topic, silent
posts, remove).
``BOT_CHANNEL`` (the operator's channel) is not one of these.
"""

from __future__ import annotations

import re

import aiosqlite
from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.i18n import Lang, Markup, t, t_text
from bot.store.chats import Chat as ChatRow
from bot.store.chats import (
    SummaryMode,
    get_chat,
    owned_channels,
    set_owner,
    set_status,
    update_settings,
    upsert_chat,
)
from bot.store.database import Database
from bot.store.topics import MAX_TOPICS, TopicError, add_topics, list_topics, parse_topic
from bot.store.topics import remove_topic as drop_topic
from bot.telegram.args import split_terms
from bot.telegram.callbacks import ChannelAction
from bot.telegram.context import NEW_READER_SUMMARY
from bot.telegram.routers.topics import joined, label, word_key
from bot.telegram.ui import edit_or_answer, typed_args

_LINK = re.compile(r"(?:https?://)?(?:t\.me|telegram\.me)/([A-Za-z0-9_]{4,32})/?")
_NAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})")
ADMIN = (ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR)
SUMMARY_MODES = ("full", "compact", "titles")


def channel_ref(text: str) -> int | str | None:
    """``@name``, ``name``, ``t.me/name`` → ``@name``; ``-100…`` (a chat id) → the id; else None."""
    text = text.strip()
    if re.fullmatch(r"-\d{4,}", text):
        return int(text)
    link = _LINK.fullmatch(text)
    if link:
        return "@" + link.group(1)
    name = _NAME.fullmatch(text)
    return "@" + name.group(1) if name else None


async def _verify(bot: Bot, ref: int | str, user_id: int, lang: Lang) -> tuple[int, str] | Markup:
    """(id, title) of a channel where the bot and ``user_id`` are administrators, or the
    one sentence saying why not."""
    shown = str(ref)
    try:
        chat = await bot.get_chat(ref)
    except (TelegramBadRequest, TelegramForbiddenError):
        return t("telegram.channel.not_found", lang, name=shown)
    if chat.type != ChatType.CHANNEL:
        return t("telegram.channel.not_channel", lang, name=shown)
    title = chat.title or shown
    try:
        me = await bot.get_chat_member(chat.id, bot.id)
        bot_admin = me.status in ADMIN
    except (TelegramBadRequest, TelegramForbiddenError):
        bot_admin = False
    if not bot_admin:
        return t("telegram.channel.bot_not_admin", lang, name=shown)
    try:
        member = await bot.get_chat_member(chat.id, user_id)
        user_admin = member.status in ADMIN
    except (TelegramBadRequest, TelegramForbiddenError):
        user_admin = False
    if not user_admin:
        return t("telegram.channel.not_admin", lang, name=shown)
    return chat.id, title


async def panel(db: Database, row: ChatRow, lang: Lang) -> tuple[str, InlineKeyboardMarkup]:
    """One channel as the owner sees it: status, topics, summary mode, and its buttons."""
    topics = await list_topics(db.reader, row.id)
    status = (
        t("telegram.settings.status_active", lang)
        if row.status == "active"
        else t("telegram.settings.status_off", lang)
    )
    text = t(
        "telegram.channel.panel",
        lang,
        title=row.title or str(row.id),
        status=status,
        topics=joined([label(x, lang) for x in topics])
        if topics
        else t("telegram.channel.all_topics", lang),
        summary=t(f"telegram.settings.summary_{row.summary_mode}", lang),
        sound=(
            t("telegram.settings.sound_off", lang)
            if row.silent
            else t("telegram.settings.sound_on", lang)
        ),
        id=row.id,
    )

    def btn(text: str, op: str, key: str = "") -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=ChannelAction(chat=row.id, op=op, key=key).pack()
        )

    rows = [
        [
            btn(
                ("· " if mode == row.summary_mode else "")
                + t_text(f"telegram.settings.summary_{mode}", lang),
                "sum",
                mode,
            )
            for mode in SUMMARY_MODES
        ]
    ]
    removes = [btn("✕ " + label(x, lang), "rm", word_key(x)) for x in topics]
    rows += [removes[i : i + 2] for i in range(0, len(removes), 2)]
    sound = (
        t_text("telegram.settings.btn_sound", lang)
        if row.silent
        else t_text("telegram.settings.btn_silent", lang)
    )
    rows.append(
        [
            btn(sound, "silent", "0" if row.silent else "1"),
            btn(t_text("telegram.channel.btn_remove", lang), "del"),
        ]
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def channel(
    message: Message, command: CommandObject, bot: Bot, db: Database, lang: Lang
) -> None:
    user = message.from_user
    if user is None:
        return
    raw = await typed_args(message, command, lang)
    if raw is None:
        return
    if not raw:
        owned = [c for c in await owned_channels(db.reader, user.id) if c.status == "active"]
        if not owned:
            await message.answer(t("telegram.channel.none", lang))
            return
        for row in owned:
            text, markup = await panel(db, row, lang)
            await message.answer(text, reply_markup=markup)
        return
    first, _, rest = raw.partition(" ")
    ref = channel_ref(first)
    if ref is None:
        await message.answer(t("telegram.channel.usage", lang))
        return
    verified = await _verify(bot, ref, user.id, lang)
    if isinstance(verified, Markup):
        await message.answer(verified)
        return
    chat_id, title = verified
    terms = split_terms(rest)

    async def write(conn: aiosqlite.Connection) -> tuple[ChatRow, bool, list[str], list[str]]:
        old = await get_chat(conn, chat_id)
        new = old is None or old.status != "active" or old.owner_id is None
        await upsert_chat(conn, chat_id, "channel", title, language=None if old else lang)
        if old is None:
            await update_settings(conn, chat_id, summary_mode=NEW_READER_SUMMARY)
        await set_status(conn, chat_id, "active")
        await set_owner(conn, chat_id, user.id)
        current = {x.term for x in await list_topics(conn, chat_id)}
        added: list[str] = []
        skipped: list[str] = []
        for term in terms:
            try:
                topic = parse_topic(term)
            except TopicError:
                skipped.append(term)
                continue
            if topic.term not in current and len(current) >= MAX_TOPICS:
                skipped.append(term)
                continue
            current.add(topic.term)
            added.append(term)
        if added:
            await add_topics(conn, chat_id, added)
        row = await get_chat(conn, chat_id)
        assert row is not None
        return row, new, added, skipped

    row, new, added, skipped = await db.write(write)
    notes: list[Markup] = []
    if new:
        notes.append(t("telegram.channel.subscribed", lang, title=title))
    if added:
        notes.append(t("telegram.topics.added", lang, items=joined(added)))
    if skipped:
        notes.append(t("telegram.channel.skipped", lang, items=joined(skipped)))
    text, markup = await panel(db, row, lang)
    await message.answer("\n".join([*notes, text]), reply_markup=markup)


async def press(
    query: CallbackQuery, callback_data: ChannelAction, db: Database, lang: Lang
) -> None:
    """A button under a channel's panel; only the channel's owner may press it."""
    chat_id = callback_data.chat
    row = await get_chat(db.reader, chat_id)
    if row is None or row.owner_id is None or row.owner_id != query.from_user.id:
        await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
        return
    op, key = callback_data.op, callback_data.key
    if op == "del":

        async def remove(conn: aiosqlite.Connection) -> None:
            await set_status(conn, chat_id, "paused")
            await set_owner(conn, chat_id, None)

        await db.write(remove)
        await edit_or_answer(
            query, t("telegram.channel.removed", lang, title=row.title or str(chat_id))
        )
        return
    if op == "sum" and key in SUMMARY_MODES:
        mode: SummaryMode = key  # type: ignore[assignment]
        row = await db.write(lambda c: update_settings(c, chat_id, summary_mode=mode))
    elif op == "silent" and key in ("0", "1"):
        row = await db.write(lambda c: update_settings(c, chat_id, silent=key == "1"))
    elif op == "rm":
        topics = await list_topics(db.reader, chat_id)
        hit = next((x for x in topics if word_key(x) == key), None)
        if hit is None:
            await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
            return
        await db.write(lambda c: drop_topic(c, chat_id, hit.term))
    else:
        await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
        return
    text, markup = await panel(db, row, lang)
    await edit_or_answer(query, text, markup)


async def not_here(message: Message, lang: Lang) -> None:
    await message.answer(t("telegram.channel.private_only", lang))


def build_router() -> Router:
    router = Router(name="channels")
    private = F.chat.type == ChatType.PRIVATE
    router.message.register(channel, Command("channel"), private, flags={"changes": True})
    router.message.register(not_here, Command("channel"))
    router.callback_query.register(press, ChannelAction.filter(), flags={"changes": True})
    return router
