"""Fixtures for tests that talk to the Telegram Bot API emulator over real HTTP.

``emulator``: a fresh in-process emulator on a random port (flood limits lifted;
override the ``emulator_config`` fixture or ``await emulator.configure(...)``),
with helpers for the control API. ``emulator_bot``: an aiogram Bot pointed at it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import aiohttp
    from aiogram import Bot

    from bot.emulator.config import EmulatorConfig
    from bot.emulator.server import Emulator

TEST_TOKEN = "123456:TEST-token"


class EmulatorClient:
    """A running emulator plus typed shortcuts to its control API."""

    def __init__(self, emulator: Emulator, session: aiohttp.ClientSession) -> None:
        self.emulator = emulator
        self.session = session
        self.base_url = emulator.base_url
        self.token = TEST_TOKEN

    @property
    def api_url(self) -> str:
        """Base of Bot API calls: f"{api_url}/sendMessage"."""
        return f"{self.base_url}/bot{self.token}"

    async def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.session.request(method, f"{self.base_url}/_emu/{path}", **kwargs) as resp:
            body = await resp.json()
            if resp.status != 200:
                raise AssertionError(f"/_emu/{path} answered {resp.status}: {body}")
            return body

    async def call(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        """Call a Bot API method with a JSON body; return (HTTP status, JSON answer)."""
        async with self.session.post(f"{self.api_url}/{method}", json=params) as resp:
            return resp.status, await resp.json()

    async def add_chat(self, chat_id: int, type: str = "private", **fields: Any) -> Any:
        return await self._control("POST", "chats", json={"id": chat_id, "type": type, **fields})

    async def update_chat(self, chat_id: int, **fields: Any) -> Any:
        return await self._control("POST", "chats", json={"id": chat_id, **fields})

    async def send_update(self, chat_id: int, **fields: Any) -> Any:
        """A user writes (text=), uploads (document=) or presses a button (callback_data=)."""
        return await self._control("POST", "updates", json={"chat_id": chat_id, **fields})

    async def messages(self, chat_id: int | None = None, since: int = 0) -> Any:
        query: dict[str, int] = {"since": since}
        if chat_id is not None:
            query["chat_id"] = chat_id
        return await self._control("GET", "messages", params=query)

    async def callbacks(self, chat_id: int | None = None) -> Any:
        query = {} if chat_id is None else {"chat_id": chat_id}
        return await self._control("GET", "callbacks", params=query)

    async def pending_updates(self) -> Any:
        return await self._control("GET", "updates")

    async def stats(self) -> Any:
        return await self._control("GET", "stats")

    async def configure(self, **changes: Any) -> Any:
        return await self._control("POST", "config", json=changes)

    async def fail_next(self, method: str, fault: str, count: int = 1) -> Any:
        """The next ``count`` calls of ``method`` fail with ``fault`` (429, 500, 502, drop,
        drop_after)."""
        return await self._control(
            "POST", "faults", json={"method": method, "fault": fault, "count": count}
        )

    async def reset(self) -> Any:
        return await self._control("POST", "reset")

    async def wait_messages(self, chat_id: int, count: int, within: float = 5.0) -> Any:
        """Wait (polling the control API) until the bot has sent ``count`` messages."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            found = await self.messages(chat_id)
            if len(found) >= count or loop.time() > deadline:
                return found
            await asyncio.sleep(0.02)


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    from bot.emulator.config import EmulatorConfig

    return EmulatorConfig.unlimited()


@pytest.fixture
async def emulator(emulator_config: EmulatorConfig) -> AsyncIterator[EmulatorClient]:
    import aiohttp

    from bot.emulator.server import Emulator

    async with Emulator(emulator_config) as emu, aiohttp.ClientSession() as session:
        yield EmulatorClient(emu, session)


@pytest.fixture
async def emulator_bot(emulator: EmulatorClient) -> AsyncIterator[Bot]:
    """An aiogram Bot whose requests go to the emulator (imports aiogram: a few seconds once)."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    bot = Bot(emulator.token, session=session)
    try:
        yield bot
    finally:
        await bot.session.close()
