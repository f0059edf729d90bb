"""Updates caused by simulated users: their messages and their blocking the bot."""

from __future__ import annotations

from typing import Any

from bot.emulator import objects
from bot.emulator.runtime import Runtime
from bot.emulator.state import Chat, Message, StoredFile, Version, now

DEFAULT_BOT_ID = 123456


def user_message(
    rt: Runtime,
    chat: Chat,
    user_id: int,
    version: Version,
    document: StoredFile | None,
    thread_id: int | None,
    reply_to: Message | None = None,
) -> dict[str, Any]:
    msg = rt.state.add_message(
        chat, False, user_id, version, document=document, thread_id=thread_id, reply_to=reply_to
    )
    kind = "channel_post" if chat.type == "channel" else "message"
    return rt.queue.push(kind, objects.message(msg, rt.config))


def chat_member_update(rt: Runtime, chat: Chat) -> dict[str, Any]:
    """my_chat_member: the user blocked (or unblocked) the bot, or it was kicked."""
    bot = objects.bot_user(rt.config, rt.bot_id or DEFAULT_BOT_ID)
    kicked, member = objects.member(bot, "kicked"), objects.member(bot, "member")
    actor = chat.id if chat.type == "private" else min(chat.admins, default=1)
    payload = {
        "chat": chat.to_api(),
        "from": objects.user(actor, chat),
        "date": now(),
        "old_chat_member": member if chat.blocked else kicked,
        "new_chat_member": kicked if chat.blocked else member,
    }
    return rt.queue.push("my_chat_member", payload)


def migration_updates(rt: Runtime, group: Chat, supergroup: Chat) -> None:
    """The two service messages Telegram sends when a group becomes a supergroup."""
    actor = objects.user(min(group.admins, default=1), group)
    for chat, key, other in (
        (group, "migrate_to_chat_id", supergroup.id),
        (supergroup, "migrate_from_chat_id", group.id),
    ):
        payload = {
            "message_id": chat.next_message_id(),
            "date": now(),
            "chat": chat.to_api(),
            "from": actor,
            key: other,
        }
        rt.queue.push("message", payload)
