"""/start, /help, /subscribe, /unsubscribe, and the chat's own life cycle
(the bot blocked or removed, a group upgraded to a supergroup)."""

from __future__ import annotations

import aiosqlite
from aiogram import F, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import ChatMemberUpdated, Message

from bot.config import Settings
from bot.i18n import Lang, chat_lang, t
from bot.store.chats import Chat as ChatRow
from bot.store.chats import get_chat, move_chat, set_status
from bot.store.database import Database
from bot.store.topics import TopicError, add_topics, list_topics
from bot.telegram.context import change_chat, ensure_chat
from bot.telegram.registry import admin_commands, public_commands
from bot.topics.catalog import Topic, load_catalog
from bot.topics.filter import topic_name

GONE = {ChatMemberStatus.KICKED, ChatMemberStatus.LEFT}


def help_text(lang: Lang, *, admin: bool) -> str:
    lines: list[str] = [t("telegram.help.head", lang)]
    lines += [f"/{name} — {t(f'commands.{name}', lang)}" for name in public_commands()]
    if admin:
        lines += ["", t("telegram.help.admin_head", lang)]
        lines += [f"/{name} — {t(f'commands.{name}', lang)}" for name in admin_commands()]
    lines += ["", t("telegram.help.tail", lang)]
    return "\n".join(lines)


def deep_link_topic(payload: str | None) -> Topic | None:
    """The catalogue topic of a ``t.me/<bot>?start=topic_<slug>`` link (the web site's
    topic pages and sign-up form make them), or None."""
    if not payload or not payload.startswith("topic_"):
        return None
    return load_catalog().get(payload.removeprefix("topic_")[:64])


async def _follow(db: Database, message: Message, lang: Lang, topic: Topic) -> ChatRow | None:
    """Subscribe the chat and follow ``topic`` in one transaction; None when the chat has
    as many topics as it may (it is subscribed all the same)."""

    async def write(conn: aiosqlite.Connection) -> tuple[ChatRow, bool]:
        row = await ensure_chat(conn, message.chat, lang, subscribe=True)
        if row.status != "active":
            await set_status(conn, row.id, "active")
        try:
            await add_topics(conn, row.id, [topic_name(topic, row.language)])
        except TopicError:
            return row, False
        return row, True

    row, followed = await db.write(write)
    return row if followed else None


async def start(
    message: Message,
    db: Database,
    lang: Lang,
    chat_row: ChatRow | None,
    command: CommandObject | None = None,
) -> None:
    """Welcome a new reader; one who had unsubscribed hears that nothing was lost. From a
    topic's deep link (``/start topic_<slug>``) the chat also follows that topic."""
    topic = deep_link_topic(command.args if command is not None else None)
    if topic is not None:
        followed = await _follow(db, message, lang, topic)
        if followed is not None:
            name = topic_name(topic, followed.language)
            await message.answer(t("telegram.start.topic_followed", followed.language, topic=name))
            return
    row = await change_chat(db, message.chat, lang, subscribe=True, status="active")
    if chat_row is not None and chat_row.left_at is not None:
        count = len(await list_topics(db.reader, row.id))
        await message.answer(t("telegram.start.welcome_back", row.language, count=count))
        return
    await message.answer(t("telegram.start.welcome", row.language))


async def help_(message: Message, lang: Lang, settings: Settings) -> None:
    user = message.from_user
    admin = user is not None and user.id in settings.admins and message.chat.type == "private"
    await message.answer(help_text(lang, admin=admin))


async def subscribe(message: Message, db: Database, chat_row: ChatRow | None, lang: Lang) -> None:
    if chat_row is not None and chat_row.status == "active":
        await message.answer(t("telegram.start.already_subscribed", lang))
        return
    await change_chat(db, message.chat, lang, subscribe=True, status="active")
    await message.answer(t("telegram.start.subscribed", lang))


async def unsubscribe(message: Message, db: Database, chat_row: ChatRow | None, lang: Lang) -> None:
    if chat_row is None or chat_row.status != "active":
        await message.answer(t("telegram.start.not_subscribed", lang))
        return
    chat_id = chat_row.id
    await db.write(lambda c: set_status(c, chat_id, "paused"))
    await message.answer(t("telegram.start.unsubscribed", lang))


async def membership(update: ChatMemberUpdated, db: Database, settings: Settings) -> None:
    """Blocked by a user, or removed from a group: stop delivering there.
    Added to a group: say hello and how its admins subscribe it, in the group's own
    language if it was stored before, else BOT_DEFAULT_LANG (not the adder's)."""
    new, old = update.new_chat_member.status, update.old_chat_member.status
    if new in GONE:
        await db.write(lambda c: set_status(c, update.chat.id, "blocked"))
    elif old in GONE and update.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        row = await get_chat(db.reader, update.chat.id)
        lang = chat_lang(
            row.language if row else None, None, settings.default_lang, chat_type=update.chat.type
        )
        await update.answer(t("telegram.start.group_hello", lang))


async def migrated(message: Message, db: Database, chat_row: ChatRow | None) -> None:
    """A group became a supergroup: its settings and topics follow it to the new id."""
    new_id = message.migrate_to_chat_id
    if new_id is not None and chat_row is not None:
        await db.write(lambda c: move_chat(c, message.chat.id, new_id))


def build_router() -> Router:
    router = Router(name="start")
    changes = {"changes": True}
    router.message.register(start, CommandStart(), flags=changes)
    router.message.register(help_, Command("help"))
    router.message.register(subscribe, Command("subscribe"), flags=changes)
    router.message.register(unsubscribe, Command("unsubscribe"), flags=changes)
    router.message.register(migrated, F.migrate_to_chat_id)
    router.my_chat_member.register(membership)
    return router
