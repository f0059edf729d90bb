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
from bot.i18n import Lang, as_text, chat_lang, t
from bot.telegram.context import event_message

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
        settings: Settings = data["settings"]
        lang: Lang = data.get("lang") or chat_lang(
            None,
            user.language_code if user else None,
            settings.default_lang,
            chat_type=chat.type if chat else "private",
        )
        if needs_admin:
            allowed = user is not None and user.id in settings.admins
            refusal = t("telegram.admin.admins_only", lang)
        else:
            cache: AdminCache = data["admin_cache"]
            allowed = chat is not None and await may_change(data["bot"], cache, chat, user, message)
            refusal = t("telegram.common.group_admins_only", lang)
        if allowed:
            return await handler(event, data)
        if isinstance(event, CallbackQuery):
            await event.answer(as_text(refusal), show_alert=True)
        elif isinstance(event, Message):
            await event.reply(refusal)
        return None
