"""The real bot, polling the emulator in-process, on a temporary SQLite database.

``telegram`` runs ``build_dispatcher(...).start_polling(...)`` against the
``emulator`` fixture with the ``db`` fixture's connection. Its helpers make
simulated users write, upload and press buttons, and *wait until the bot has
finished handling that update* (an outer middleware counts handled updates),
so tests never sleep and "the bot said nothing" is as checkable as a reply.
Any exception in a handler fails the test at teardown.

Reuse the pattern (``BotHarness.start``) for other end-to-end tests (run/demo).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite
import pytest

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher

    from bot.config import Settings
    from bot.delivery.outbound import SharedLimiter
    from bot.delivery.ratelimit import Limits
    from bot.store.database import Database
    from tests.support.emulator import EmulatorClient

ADMIN_ID = 9001  # a BOT_ADMINS user in the harness settings
WAIT = 5.0


def lifted() -> Limits:
    """Limits for an emulator without flood limits: tests of other things run at full speed."""
    from bot.delivery.ratelimit import Limits

    return Limits(global_per_s=10**6, chat_per_s=10**6, group_per_min=10**9, chat_burst=10**6)


class UpdateTracker:
    """Remembers which update ids were fully handled (error handler included), and
    the exceptions handlers raised (even those the bot's error handler answered)."""

    def __init__(self) -> None:
        self.done: set[int] = set()
        self.errors: list[BaseException] = []
        self.changed = asyncio.Event()

    def install(self, dp: Dispatcher) -> None:
        """Outermost: the done-marker; innermost update middleware: the error probe."""
        outer = dp.update.outer_middleware
        existing = list(outer)
        for middleware in existing:
            outer.unregister(middleware)
        outer.register(self.mark_done)
        for middleware in existing:
            outer.register(middleware)
        outer.register(self.probe)

    async def mark_done(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        finally:
            self.done.add(event.update_id)
            self.changed.set()

    async def probe(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except Exception as exc:
            self.errors.append(exc)
            raise

    async def wait_for(self, update_id: int, within: float = WAIT) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while update_id not in self.done:
            self.changed.clear()
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"the bot did not handle update {update_id} within {within}s")
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                continue


class BotHarness:
    def __init__(
        self, emulator: EmulatorClient, db: aiosqlite.Connection, settings: Settings
    ) -> None:
        self.emulator = emulator
        self.db = db
        self.settings = settings
        self.tracker = UpdateTracker()
        self.bot: Bot
        self.dp: Dispatcher
        self._task: asyncio.Task[None] | None = None
        self._stack = AsyncExitStack()
        self.database: Database
        self.limits: Limits
        self.outbound: SharedLimiter  # the bot's outbound limiter (share it with a Sender)

    @classmethod
    async def start(
        cls,
        emulator: EmulatorClient,
        db: aiosqlite.Connection,
        settings: Settings,
        *,
        limits: Limits | None = None,
        **extra: Any,
    ) -> BotHarness:
        """The bot, its outbound path keeping to ``limits`` (default: Telegram's, with
        the bot's small burst per chat; lifted when the emulator's are)."""
        from bot.delivery.outbound import SharedLimiter
        from bot.store.database import open_database
        from bot.telegram.app import build_bot, build_dispatcher, interactive_limits

        harness = cls(emulator, db, settings)
        if limits is None:
            config = emulator.emulator.config
            limits = lifted() if config.global_per_s == 0 else interactive_limits(settings)
        harness.limits = limits
        harness.outbound = SharedLimiter(limits)
        harness.bot = build_bot(settings, harness.outbound)
        harness.database = await harness._stack.enter_async_context(open_database(settings.db))
        harness.dp = build_dispatcher(harness.database, settings, **extra)
        harness.tracker.install(harness.dp)
        ready = asyncio.Event()

        async def started() -> None:
            ready.set()

        harness.dp.startup.register(started)
        harness._task = asyncio.create_task(
            harness.dp.start_polling(
                harness.bot, handle_signals=False, close_bot_session=True, polling_timeout=1
            )
        )
        waiter = asyncio.create_task(ready.wait())
        await asyncio.wait({waiter, harness._task}, timeout=WAIT, return_when="FIRST_COMPLETED")
        if harness._task.done():
            waiter.cancel()
            harness._task.result()  # raise what broke the start
        return harness

    async def stop(self) -> None:
        if self._task is None:
            return
        pending = list(self.dp._handle_update_tasks)
        if pending:
            await asyncio.wait(pending, timeout=WAIT)
        if not self._task.done():
            await self.dp.stop_polling()
        await self._task
        self._task = None
        await self._stack.aclose()

    # --- simulated users -----------------------------------------------------------------

    async def private(self, user_id: int, language_code: str | None = "zh") -> int:
        await self.emulator.add_chat(user_id, "private", language_code=language_code)
        return user_id

    async def group(
        self, chat_id: int, admins: list[int], type: str = "supergroup", **fields: Any
    ) -> int:
        await self.emulator.add_chat(chat_id, type, admins=admins, **fields)
        return chat_id

    async def send(self, chat_id: int, **fields: Any) -> list[dict[str, Any]]:
        """Post an update, wait until the bot handled it; the bot messages sent meanwhile."""
        before = await self.emulator.messages(chat_id)
        last = max((m["message_id"] for m in before), default=0)
        update = await self.emulator.send_update(chat_id, **fields)
        await self.tracker.wait_for(update["update_id"])
        return [m for m in await self.emulator.messages(chat_id) if m["message_id"] > last]

    async def say(self, chat_id: int, text: str, **fields: Any) -> list[dict[str, Any]]:
        return await self.send(chat_id, text=text, **fields)

    async def ask(self, chat_id: int, text: str, **fields: Any) -> str:
        """The plain text of everything the bot answered to ``text``."""
        return "\n".join(m["plain"] for m in await self.say(chat_id, text, **fields))

    async def press(self, chat_id: int, data: str, **fields: Any) -> list[dict[str, Any]]:
        return await self.send(chat_id, callback_data=data, **fields)

    async def eventually(self, check: Callable[[], Awaitable[bool]], within: float = WAIT) -> None:
        """Wait for updates the emulator raised by itself (blocking, migration, ...)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not await check():
            if loop.time() > deadline:
                raise AssertionError(f"still not true after {within}s")
            await asyncio.sleep(0.02)

    async def callback_answers(self, chat_id: int) -> list[dict[str, Any]]:
        return list(await self.emulator.callbacks(chat_id))

    async def messages(self, chat_id: int) -> list[dict[str, Any]]:
        return list(await self.emulator.messages(chat_id))

    async def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """The bot's message as it is now (after any edits)."""
        found = [m for m in await self.messages(chat_id) if m["message_id"] == message_id]
        assert found, f"the bot has no message {message_id} in chat {chat_id}"
        return found[0]

    async def violations(self) -> list[dict[str, Any]]:
        return list((await self.emulator.stats())["violations"])


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button under a recorded message."""
    markup = message.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


def entity_texts(message: dict[str, Any], kind: str) -> list[str]:
    """The text under each entity of ``kind`` (offsets are UTF-16 code units)."""
    units = message["plain"].encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message["entities"]
        if e["type"] == kind
    ]


@pytest.fixture
def telegram_settings(emulator: EmulatorClient, db_path: Path) -> Settings:
    from bot.config import Settings

    return Settings(
        token=emulator.token,  # type: ignore[arg-type]
        api_base=emulator.base_url,
        db=db_path,
        admins=frozenset({ADMIN_ID}),
        channel=None,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def telegram(
    emulator: EmulatorClient, db: aiosqlite.Connection, telegram_settings: Settings
) -> AsyncIterator[BotHarness]:
    """The real Dispatcher polling the emulator; fails the test on any handler error and on
    any reply the emulator refused (HTML, length, ...)."""
    from bot.telegram.throttle import Throttle

    # Tests type faster than people: flood control has its own test.
    harness = await BotHarness.start(
        emulator, db, telegram_settings, throttle=Throttle(rate=1000, burst=1000)
    )
    try:
        yield harness
    finally:
        await harness.stop()
    assert not harness.tracker.errors, harness.tracker.errors
    assert await harness.violations() == []
