"""Telegram JSON objects (User, Message, ...) built from emulator state."""

from __future__ import annotations

import re
from typing import Any

from bot.emulator.config import EmulatorConfig
from bot.emulator.state import Chat, Message

_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")


def bot_user(config: EmulatorConfig, bot_id: int) -> dict[str, Any]:
    return {
        "id": bot_id,
        "is_bot": True,
        "first_name": config.bot_first_name,
        "username": config.bot_username,
    }


def get_me(config: EmulatorConfig, bot_id: int) -> dict[str, Any]:
    return {
        **bot_user(config, bot_id),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def user(user_id: int, chat: Chat) -> dict[str, Any]:
    """A simulated human; in a private chat it is the chat's own person."""
    own = chat.type == "private" and chat.id == user_id
    data: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": (chat.title if own and chat.title else f"User {user_id}"),
    }
    username = chat.username if own else f"user{user_id}"
    if username:
        data["username"] = username
    if chat.language_code:
        data["language_code"] = chat.language_code
    return data


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities the way Telegram's clients mark them (UTF-16 offsets)."""
    found = []
    for match in _COMMAND.finditer(text):
        offset = len(text[: match.start()].encode("utf-16-le")) // 2
        found.append({"type": "bot_command", "offset": offset, "length": len(match.group())})
    return found


def message(msg: Message, config: EmulatorConfig, nested: bool = True) -> dict[str, Any]:
    chat = msg.chat
    data: dict[str, Any] = {
        "message_id": msg.message_id,
        "date": msg.edits[0].date if msg.edits else msg.current.date,
        "chat": chat.to_api(),
    }
    if chat.type == "channel":
        data["sender_chat"] = chat.to_api()
    elif msg.from_bot:
        data["from"] = bot_user(config, msg.user_id)
    else:
        data["from"] = user(msg.user_id, chat)
    if msg.thread_id is not None:
        data["message_thread_id"] = msg.thread_id
        data["is_topic_message"] = True
    version = msg.current
    if msg.edits:
        data["edit_date"] = version.date
    key = "caption" if msg.document else "text"
    if version.plain or not msg.document:
        data[key] = version.plain
    if version.entities:
        data["caption_entities" if msg.document else "entities"] = version.entities
    if msg.document:
        data["document"] = msg.document.to_document()
    if version.reply_markup is not None and "inline_keyboard" in version.reply_markup:
        data["reply_markup"] = version.reply_markup
    if nested and msg.reply_to is not None:
        data["reply_to_message"] = message(msg.reply_to, config, nested=False)
    preview = msg.options.get("link_preview_options")
    if isinstance(preview, dict) and preview:
        data["link_preview_options"] = preview
    return data


def member(user_data: dict[str, Any], status: str) -> dict[str, Any]:
    if status == "administrator":
        rights = (
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_promote_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
            "can_send_welcome_messages",
        )
        return {
            "status": status,
            "user": user_data,
            "can_be_edited": False,
            "is_anonymous": False,
            **dict.fromkeys(rights, True),
        }
    if status == "kicked":
        return {"status": status, "user": user_data, "until_date": 0}
    return {"status": status, "user": user_data}
