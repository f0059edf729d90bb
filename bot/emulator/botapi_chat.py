"""Bot API methods about chats, members, commands and callback queries."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.emulator import objects
from bot.emulator.botapi import method
from bot.emulator.errors import bad_request
from bot.emulator.params import Params
from bot.emulator.runtime import Runtime
from bot.emulator.state import Chat

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


@method("getChat")
async def get_chat(rt: Runtime, p: Params, bot_id: int) -> Any:
    chat = rt.chat(p.chat_ref())
    info = chat.to_api()
    info.update(
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    )
    if chat.migrate_to is not None:
        info["migrate_to_chat_id"] = chat.migrate_to
    return info


@method("getChatMember")
async def get_chat_member(rt: Runtime, p: Params, bot_id: int) -> Any:
    chat = rt.chat(p.chat_ref())
    user_id = p.integer("user_id", missing="user not found")
    assert user_id is not None
    if user_id == bot_id:
        status = "kicked" if chat.blocked else chat.bot_member_status
        return objects.member(objects.bot_user(rt.config, bot_id), status)
    if chat.type == "private" and user_id != chat.id:
        raise bad_request("user not found")
    if chat.type == "channel" and _outside(chat):
        raise bad_request("member list is inaccessible")
    status = "administrator" if user_id in chat.admins else "member"
    return objects.member(objects.user(user_id, chat), status)


@method("getChatAdministrators")
async def get_chat_administrators(rt: Runtime, p: Params, bot_id: int) -> Any:
    chat = rt.chat(p.chat_ref())
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    if chat.type == "channel" and _outside(chat):
        raise bad_request("member list is inaccessible")
    admins = [objects.member(objects.user(a, chat), "administrator") for a in sorted(chat.admins)]
    if not chat.blocked and chat.bot_member_status == "administrator":
        admins.append(objects.member(objects.bot_user(rt.config, bot_id), "administrator"))
    return admins


def _outside(chat: Chat) -> bool:
    """A channel the bot is not in: Telegram does not show it the members."""
    return chat.blocked or chat.bot_member_status == "left"


def _commands_key(p: Params) -> tuple[str, str]:
    scope = p.json("scope", "bot command scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse bot command scope JSON object")
    language = p.string("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True), language


@method("setMyCommands")
async def set_my_commands(rt: Runtime, p: Params, bot_id: int) -> Any:
    commands = p.json("commands", "bot commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse bot commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many bot commands")
    checked = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse bot commands JSON object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND.fullmatch(command.lower()):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("command description must be non-empty")
        checked.append({"command": command.lower(), "description": description})
    rt.state.commands[_commands_key(p)] = checked
    return True


@method("getMyCommands")
async def get_my_commands(rt: Runtime, p: Params, bot_id: int) -> Any:
    return rt.state.commands.get(_commands_key(p), [])


@method("deleteMyCommands")
async def delete_my_commands(rt: Runtime, p: Params, bot_id: int) -> Any:
    rt.state.commands.pop(_commands_key(p), None)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(rt: Runtime, p: Params, bot_id: int) -> Any:
    query = rt.state.callbacks.get(p.string("callback_query_id") or "")
    if query is None or query.answer is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.string("text") or ""
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answer = {
        "text": text,
        "show_alert": p.flag("show_alert"),
        "url": p.string("url"),
        "cache_time": p.integer("cache_time") or 0,
    }
    return True
