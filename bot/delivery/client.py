"""The two Bot API calls the sender makes, through aiogram's ``Bot``.

`bot run` passes the ``Bot`` it already polls with; `bot publish --send` and the
benchmarks build one with :func:`open_bot`. Digests are HTML with link previews off.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import LinkPreviewOptions

ChatRef = int | str  # a numeric chat id, or "@channelname" for BOT_CHANNEL

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def open_bot(token: str, api_base: str, *, connections: int = 100, timeout: float = 20.0) -> Bot:
    """A ``Bot`` talking to ``api_base`` (Telegram, or the emulator in tests)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base), limit=connections)
    session.timeout = timeout
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


class DigestClient:
    """Sends and edits digest parts; errors surface as aiogram's exceptions."""

    def __init__(self, bot: Bot, *, paid_broadcast: bool = False) -> None:
        self.bot = bot
        self.paid_broadcast = paid_broadcast

    async def send(self, chat: ChatRef, html: str, thread_id: int | None) -> int:
        message = await self.bot.send_message(
            chat_id=chat,
            text=html,
            message_thread_id=thread_id,
            link_preview_options=NO_PREVIEW,
            allow_paid_broadcast=True if self.paid_broadcast else None,
        )
        return message.message_id

    async def edit(self, chat: ChatRef, message_id: int, html: str) -> None:
        await self.bot.edit_message_text(
            chat_id=chat, message_id=message_id, text=html, link_preview_options=NO_PREVIEW
        )

    async def close(self) -> None:
        await self.bot.session.close()
