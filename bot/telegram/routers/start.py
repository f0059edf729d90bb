"""/start, /help, /subscribe, /unsubscribe, and the chat's own life cycle
(the bot blocked or removed, a group upgraded to a supergroup)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.filters import Command, CommandStart
from aiogram.types import ChatMemberUpdated, Message

from bot.config import Settings
from bot.store.chats import Chat as ChatRow
from bot.store.chats import move_chat, set_status
from bot.store.database import Database
from bot.telegram.context import change_chat
from bot.telegram.registry import admin_commands, public_commands
from bot.telegram.texts import Lang, esc, lang_of, tr

GONE = {ChatMemberStatus.KICKED, ChatMemberStatus.LEFT}


def help_text(lang: Lang, *, admin: bool) -> str:
    lines = [tr(lang, "help_head")]
    lines += [f"/{s.name} — {esc(s.description(lang))}" for s in public_commands()]
    if admin:
        lines += ["", tr(lang, "help_admin_head")]
        lines += [f"/{s.name} — {esc(s.description(lang))}" for s in admin_commands()]
    lines += ["", tr(lang, "help_tail")]
    return "\n".join(lines)


async def start(message: Message, db: Database, lang: Lang) -> None:
    row = await change_chat(db, message.chat, lang, subscribe=True, status="active")
    await message.answer(tr(row.language, "welcome"))


async def help_(message: Message, lang: Lang, settings: Settings) -> None:
    user = message.from_user
    admin = user is not None and user.id in settings.admins and message.chat.type == "private"
    await message.answer(help_text(lang, admin=admin))


async def subscribe(message: Message, db: Database, chat_row: ChatRow | None, lang: Lang) -> None:
    if chat_row is not None and chat_row.status == "active":
        await message.answer(tr(lang, "already_subscribed"))
        return
    await change_chat(db, message.chat, lang, subscribe=True, status="active")
    await message.answer(tr(lang, "subscribed"))


async def unsubscribe(message: Message, db: Database, chat_row: ChatRow | None, lang: Lang) -> None:
    if chat_row is None or chat_row.status != "active":
        await message.answer(tr(lang, "not_subscribed"))
        return
    chat_id = chat_row.id
    await db.write(lambda c: set_status(c, chat_id, "paused"))
    await message.answer(tr(lang, "unsubscribed"))


async def membership(update: ChatMemberUpdated, db: Database) -> None:
    """Blocked by a user, or removed from a group: stop delivering there.
    Added to a group: say hello and how its admins subscribe it."""
    new, old = update.new_chat_member.status, update.old_chat_member.status
    if new in GONE:
        await db.write(lambda c: set_status(c, update.chat.id, "blocked"))
    elif old in GONE and update.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        lang = lang_of(update.from_user.language_code if update.from_user else None)
        await update.answer(tr(lang, "group_hello"))


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
