"""Who may change what.

- Handlers flagged ``changes`` alter a chat's subscription, topics or settings:
  in groups only the chat's admins (``getChatMember``, cached briefly) may use
  them; anyone else gets a short refusal.
- Handlers flagged ``bot_admin`` are for ``BOT_ADMINS`` only.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.flags import get_flag
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, User

from bot.config import Settings
from bot.telegram.context import event_message
from bot.telegram.texts import Lang, lang_of, tr

ADMIN_STATUSES = {ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR}


class AdminCache:
    """``getChatMember`` answers, remembered for ``ttl`` seconds."""

    def __init__(
        self, ttl: float = 60.0, size: int = 5000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._seen: dict[tuple[int, int], tuple[float, bool]] = {}

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        now = self.clock()
        hit = self._seen.get((chat_id, user_id))
        if hit and hit[0] > now:
            return hit[1]
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramAPIError:
            return False  # not cached: a transient API error should not stick
        allowed = member.status in ADMIN_STATUSES
        if len(self._seen) >= self.size:
            self._seen.clear()
        self._seen[(chat_id, user_id)] = (now + self.ttl, allowed)
        return allowed


def _chat_and_user(event: TelegramObject) -> tuple[Chat | None, User | None, Message | None]:
    message = event_message(event)
    user = event.from_user if isinstance(event, Message | CallbackQuery) else None
    return (message.chat if message else None), user, message


async def may_change(
    bot: Bot, cache: AdminCache, chat: Chat, user: User | None, message: Message | None
) -> bool:
    """Private chats: yes. Groups: chat admins, and anonymous admins posting as the group."""
    if chat.type == ChatType.PRIVATE:
        return True
    if message is not None and message.sender_chat and message.sender_chat.id == chat.id:
        return True
    if user is None:
        return False
    return await cache.is_admin(bot, chat.id, user.id)


class PermissionMiddleware(BaseMiddleware):
    """Inner middleware: runs after filters matched, so handler flags are known."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        needs_admin = get_flag(data, "bot_admin")
        changes = get_flag(data, "changes")
        if not needs_admin and not changes:
            return await handler(event, data)
        chat, user, message = _chat_and_user(event)
        lang: Lang = data.get("lang") or lang_of(user.language_code if user else None)
        settings: Settings = data["settings"]
        if needs_admin:
            allowed = user is not None and user.id in settings.admins
            key = "admins_only"
        else:
            cache: AdminCache = data["admin_cache"]
            allowed = chat is not None and await may_change(data["bot"], cache, chat, user, message)
            key = "group_admins_only"
        if allowed:
            return await handler(event, data)
        if isinstance(event, CallbackQuery):
            await event.answer(tr(lang, key), show_alert=True)
        elif isinstance(event, Message):
            await event.reply(tr(lang, key))
        return None
