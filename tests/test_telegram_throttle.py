"""Flood control: a user gets a burst, one polite answer per burst, then silence."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiosqlite
import pytest

from bot.config import Settings
from bot.telegram.throttle import Throttle
from tests.support.emulator import EmulatorClient
from tests.support.telegram import BotHarness


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def throttled(
    emulator: EmulatorClient, db: aiosqlite.Connection, telegram_settings: Settings, clock: Clock
) -> AsyncIterator[BotHarness]:
    harness = await BotHarness.start(
        emulator, db, telegram_settings, throttle=Throttle(rate=1.0, burst=3, clock=clock)
    )
    try:
        yield harness
    finally:
        await harness.stop()
    assert not harness.tracker.errors
    assert await harness.violations() == []


async def test_a_flood_gets_one_polite_answer_then_nothing(
    throttled: BotHarness, clock: Clock
) -> None:
    chat = await throttled.private(1101)
    other = await throttled.private(1102)
    answers = [await throttled.ask(chat, "/help") for _ in range(6)]
    assert all("命令" in a for a in answers[:3])
    assert answers[3] == "操作太快了，请稍等片刻再试。"
    assert answers[4:] == ["", ""]
    assert "命令" in await throttled.ask(other, "/help")  # per user
    clock.now += 1.0  # one token back: answered, but the burst goes on and is not told again
    assert "命令" in await throttled.ask(chat, "/help")
    assert await throttled.ask(chat, "/help") == ""
    clock.now += 3.0  # a pause that fills the bucket ends the burst: the next one is told
    answers = [await throttled.ask(chat, "/help") for _ in range(5)]
    assert all("命令" in a for a in answers[:3])
    assert answers[3:] == ["操作太快了，请稍等片刻再试。", ""]


def test_bucket_refills_at_the_rate_and_caps_at_the_burst() -> None:
    clock = Clock()
    bucket = Throttle(rate=2.0, burst=2, clock=clock)
    assert [bucket.take(1) for _ in range(4)] == ["ok", "ok", "warn", "drop"]
    clock.now += 0.5  # the same burst: said once already
    assert [bucket.take(1), bucket.take(1)] == ["ok", "drop"]
    clock.now += 100
    assert [bucket.take(1) for _ in range(3)] == ["ok", "ok", "warn"]


def test_bucket_memory_is_bounded() -> None:
    clock = Clock()
    bucket = Throttle(rate=1.0, burst=2, clock=clock, max_users=100)
    for user in range(1000):
        bucket.take(user)
    assert len(bucket._buckets) <= 100
