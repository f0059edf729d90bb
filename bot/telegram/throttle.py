"""Per-user flood control: a token bucket (rate per second, a burst of eight).

Eight quick commands are all answered (the replies queue in the outbound path and go
out within Telegram's limits). Beyond that, the bot answers once, politely, and ignores
the updates it cannot take; it says so once per burst: not again until the user has
paused long enough for the bucket to fill up.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.config import Settings
from bot.i18n import DEFAULT_LANG, chat_lang, t, t_text
from bot.telegram.context import event_chat


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float
    warned: bool = False


class Throttle:
    """The bucket arithmetic, separate from aiogram so it can be reasoned about alone."""

    def __init__(
        self,
        rate: float = 1.0,
        burst: int = 8,
        clock: Callable[[], float] = time.monotonic,
        max_users: int = 10_000,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_users = max_users
        self._buckets: dict[int, _Bucket] = {}

    def take(self, user_id: int) -> str:
        """'ok' to handle the update, 'warn' to answer once, 'drop' to ignore it."""
        now = self.clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= self.max_users:
                self._prune(now)
            bucket = self._buckets[user_id] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= self.burst:
            bucket.warned = False  # a full bucket: the burst is over
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return "ok"
        if bucket.warned:
            return "drop"
        bucket.warned = True
        return "warn"

    def _prune(self, now: float) -> None:
        full = [uid for uid, b in self._buckets.items() if b.tokens + (now - b.stamp) >= self.burst]
        for uid in full:
            del self._buckets[uid]
        while len(self._buckets) >= self.max_users:
            del self._buckets[next(iter(self._buckets))]


class ThrottleMiddleware(BaseMiddleware):
    """Outer middleware for messages and callback queries."""

    def __init__(self, throttle: Throttle) -> None:
        self.throttle = throttle

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = getattr(event, "from_user", None)
        if user is None:
            return await handler(event, data)
        verdict = self.throttle.take(user.id)
        if verdict == "ok":
            return await handler(event, data)
        if verdict == "warn":
            # Before the chat is read from the store: the rule without a stored setting.
            settings: Settings | None = data.get("settings")
            chat = event_chat(event)
            lang = chat_lang(
                None,
                user.language_code,
                settings.default_lang if settings else DEFAULT_LANG,
                chat_type=chat.type if chat else "private",
            )
            if isinstance(event, Message):
                await event.answer(t("telegram.common.slow_down", lang))
            elif isinstance(event, CallbackQuery):
                await event.answer(t_text("telegram.common.slow_down", lang))
        elif isinstance(event, CallbackQuery):
            await event.answer()
        return None
