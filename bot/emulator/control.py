"""The control API under /_emu/: scripted chats, simulated users, inspection and config."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from bot.emulator import objects
from bot.emulator.botapi_files import guess_mime
from bot.emulator.errors import ControlError
from bot.emulator.runtime import Runtime
from bot.emulator.state import BOT_STATUSES, CHAT_TYPES, CallbackQuery, Chat, Message, Version, now
from bot.emulator.users import chat_member_update, migration_updates, user_message

_CHAT_FIELDS = (
    "id",
    "type",
    "title",
    "username",
    "language_code",
    "admins",
    "blocked",
    "migrate_to",
    "bot_status",
)


def _int(body: dict[str, Any], key: str, required: bool = False) -> int | None:
    value = body.get(key)
    if value is None:
        if required:
            raise ControlError(f"{key!r} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(f"{key!r} must be an integer")
    return value


def _str(body: dict[str, Any], key: str, limit: int = 256) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ControlError(f"{key!r} must be a string of at most {limit} characters")
    return value


def upsert_chat(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - set(_CHAT_FIELDS)
    if unknown:
        raise ControlError(f"unknown chat field {sorted(unknown)[0]!r}")
    chat_id = _int(body, "id", required=True)
    assert chat_id is not None
    kind = _str(body, "type")
    if kind is not None and kind not in CHAT_TYPES:
        raise ControlError(f"'type' must be one of {', '.join(CHAT_TYPES)}")
    admins = body.get("admins")
    if admins is not None and not (
        isinstance(admins, list)
        and all(isinstance(a, int) and not isinstance(a, bool) for a in admins)
    ):
        raise ControlError("'admins' must be a list of user ids")
    blocked = body.get("blocked")
    if blocked is not None and not isinstance(blocked, bool):
        raise ControlError("'blocked' must be true or false")
    migrate_to = _int(body, "migrate_to")
    bot_status = _str(body, "bot_status")
    if bot_status is not None and bot_status not in BOT_STATUSES:
        raise ControlError(f"'bot_status' must be one of {', '.join(BOT_STATUSES)}")
    chat = rt.state.chats.get(chat_id)
    created = chat is None
    if chat is None:
        chat = rt.state.chats[chat_id] = Chat(chat_id, kind or "private")
    elif kind is not None:
        chat.type = kind
    for key in ("title", "username", "language_code"):
        if key in body:
            setattr(chat, key, _str(body, key))
    if admins is not None:
        chat.admins = set(admins)
    if bot_status is not None:
        chat.bot_status = bot_status
    if "migrate_to" in body and migrate_to != chat.migrate_to:
        chat.migrate_to = migrate_to
        if migrate_to is not None:
            target = rt.state.chats.get(migrate_to)
            if target is None:
                target = rt.state.chats[migrate_to] = Chat(
                    migrate_to, "supergroup", chat.title, admins=set(chat.admins)
                )
            migration_updates(rt, chat, target)
    if blocked is not None and blocked != chat.blocked:
        chat.blocked = blocked
        if not created:
            chat_member_update(rt, chat)
    return chat.to_control()


def _decode_document(doc: Any) -> tuple[str, bytes, str]:
    if not isinstance(doc, dict):
        raise ControlError("'document' must be an object with 'file_name' and 'content'")
    name = _str(doc, "file_name") or "document"
    if isinstance(doc.get("content_base64"), str):
        try:
            content = base64.b64decode(doc["content_base64"], validate=True)
        except binascii.Error:
            raise ControlError("'content_base64' is not valid base64") from None
    elif isinstance(doc.get("content"), str):
        content = doc["content"].encode("utf-8")
    else:
        raise ControlError("'document' needs 'content' (text) or 'content_base64'")
    mime = _str(doc, "mime_type") or guess_mime(name)
    return name, content, mime


def _find_button_message(rt: Runtime, chat: Chat, data: str, message_id: int | None) -> Message:
    if message_id is not None:
        msg = rt.state.messages.get((chat.id, message_id))
        if msg is None or not msg.from_bot or msg.deleted:
            raise ControlError(f"the bot has no message {message_id} in chat {chat.id}", 404)
        if data not in msg.button_data():
            raise ControlError(f"message {message_id} has no button with that callback_data")
        return msg
    for msg in reversed(rt.state.bot_messages(chat.id, 0)):
        if not msg.deleted and data in msg.button_data():
            return msg
    raise ControlError(f"no message of the bot in chat {chat.id} has a button with that data", 404)


def make_update(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    chat_id = _int(body, "chat_id", required=True)
    chat = rt.state.chats.get(chat_id or 0)
    if chat is None:
        raise ControlError(f"no chat {chat_id}; create it with POST /_emu/chats first", 404)
    if chat.blocked and chat.type == "private":
        raise ControlError(f"chat {chat_id} has blocked the bot; unblock it first", 409)
    user_id = _int(body, "user_id")
    if user_id is None:
        user_id = chat.id if chat.type == "private" else min(chat.admins, default=1)
    text = _str(body, "text", limit=4096)
    data = _str(body, "callback_data", limit=64)
    document = body.get("document")
    if sum(x is not None for x in (text if document is None else None, document, data)) != 1:
        raise ControlError("give exactly one of 'text', 'document' or 'callback_data'")
    if data is not None:
        msg = _find_button_message(rt, chat, data, _int(body, "message_id"))
        rt.state.seq += 1
        query = CallbackQuery(
            f"{4_000_000_000_000 + rt.state.seq}", chat.id, user_id, msg.message_id, data
        )
        rt.state.callbacks[query.id] = query
        payload = {
            "id": query.id,
            "from": objects.user(user_id, chat),
            "message": objects.message(msg, rt.config),
            "chat_instance": str(abs(chat.id) * 31 + 7),
            "data": data,
        }
        return rt.queue.push("callback_query", payload)
    stored = None
    if document is not None:
        name, content, mime = _decode_document(document)
        stored = rt.state.store_file(name, mime, content)
    reply_id = _int(body, "reply_to_message_id")
    reply_to = None
    if reply_id is not None:
        reply_to = rt.state.messages.get((chat.id, reply_id))
        if reply_to is None or reply_to.deleted:
            raise ControlError(f"chat {chat.id} has no message {reply_id} to reply to", 404)
    text = text or ""
    version = Version(text, text, objects.command_entities(text), None, now())
    thread_id = _int(body, "message_thread_id")
    return user_message(rt, chat, user_id, version, stored, thread_id, reply_to)
