"""The aiogram side of the outbound path (``bot.delivery.outbound``): a session middleware
that makes every send, edit, delete and callback answer wait for its turn in the shared
limiter, and makes it again after Telegram's ``retry_after`` when it still meets a 429.

Installed by ``build_bot``, so the handlers' replies, the throttle's and error handler's
answers and (in ``bot run``) the sender's digests all leave through it. The sender's own
calls are marked bulk by the delivery client: it paced them and handles their 429s.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    SendChatAction,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType

from bot.delivery.outbound import SharedLimiter, in_bulk

log = logging.getLogger("bot.telegram.outbound")

_GLOBAL_ONLY = (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
)


def lane_of(method: TelegramMethod[TelegramType]) -> tuple[Hashable, int | None] | None:
    """(lane, chat limited) of a call the flood limits count, None for any other call.

    New messages count against their chat (1/s, 20/min in a group) and the bot; edits,
    deletions and callback answers against the bot only. Calls to one chat share a lane
    and keep their order; a chat named by ``@username`` is counted globally only.
    """
    if isinstance(method, SendChatAction):
        return None
    chat = getattr(method, "chat_id", None)
    if type(method).__name__.startswith("Send"):
        return ("chat", chat), chat if isinstance(chat, int) else None
    if isinstance(method, _GLOBAL_ONLY):
        return ("chat", chat) if chat is not None else ("callbacks",), None
    return None


class OutboundMiddleware(BaseRequestMiddleware):
    def __init__(self, limiter: SharedLimiter) -> None:
        self.limiter = limiter

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        lane = lane_of(method)
        if lane is None or in_bulk():
            return await make_request(bot, method)
        key, chat_id = lane
        seq: int | None = None
        while True:
            seq = await self.limiter.acquire(key, chat_id, seq=seq)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                # Held, then made again before any later call to that chat: never dropped.
                log.warning(
                    "flood limit on %s to %s: again in %s s",
                    method.__api_method__,
                    key,
                    exc.retry_after,
                )
                self.limiter.hold(key, exc.retry_after)
