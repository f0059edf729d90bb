"""Fast taps lose no reply (issue 13 item 2): with Telegram's real flood limits on in the
emulator, every Bot API call goes through one outbound path that paces it, puts readers
before the bulk sender, and waits out a 429 instead of failing the handler."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
import pytest

from bot.config import Settings
from bot.delivery.ratelimit import Limits
from bot.digest.model import Issue
from bot.emulator.config import EmulatorConfig
from bot.render.digest import render_digest
from bot.store.issues import ingest_issue
from bot.telegram.callbacks import ShowIssue
from tests.support.delivery import DeliveryRig
from tests.support.emulator import EmulatorClient
from tests.support.store import make_entry, make_issue
from tests.support.telegram import BotHarness

SLOW_DOWN = "操作太快了"
ENTRIES = 16  # two parts an issue


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig()  # Telegram's limits: 30/s, 1/s per chat (bursts of 3), 20/min a group


@pytest.fixture
async def real_throttle(
    emulator: EmulatorClient, db: aiosqlite.Connection, telegram_settings: Settings
) -> AsyncIterator[BotHarness]:
    """The bot with its default per-user flood control (the ``telegram`` fixture lifts it)."""
    harness = await BotHarness.start(emulator, db, telegram_settings)
    try:
        yield harness
    finally:
        await harness.stop()
    assert not harness.tracker.errors, harness.tracker.errors
    assert await harness.violations() == []


def issue_in_parts(date: str, n: int) -> Issue:
    long = f"第 {n} 期的量化方法详细介绍。" * 30
    entries = [
        make_entry(f"期{n}条{k}", url=f"https://example.com/{n}/{k}", summary=long)
        for k in range(ENTRIES)
    ]
    return make_issue(date, *entries)


async def handled(harness: BotHarness, updates: list[dict[str, Any]], within: float) -> None:
    for update in updates:
        await harness.tracker.wait_for(update["update_id"], within=within)


async def test_four_quick_issue_taps_deliver_every_part(telegram: BotHarness) -> None:
    dates = [f"2021-0{m}-05" for m in range(1, 5)]
    expected: dict[str, int] = {}
    for n, date in enumerate(dates):
        issue = issue_in_parts(date, n)
        expected[date] = len(render_digest(issue, lang="zh"))
        await ingest_issue(telegram.db, issue, f"h{n}", f"t{n}")
    assert all(parts >= 2 for parts in expected.values())
    chat = await telegram.private(1301)
    [listing] = await telegram.say(chat, "/issues")
    taps = []
    for date in dates:  # a reader tapping four buttons 0.5 s apart
        data = ShowIssue(date=date).pack()
        taps.append(
            await telegram.emulator.send_update(
                chat, callback_data=data, message_id=listing["message_id"]
            )
        )
        await asyncio.sleep(0.5)
    await handled(telegram, taps, within=30)
    text = "\n".join(m["plain"] for m in await telegram.messages(chat))
    arrived = [k for n in range(4) for k in range(ENTRIES) if f"期{n}条{k}\n" in text]
    print(f"issue entries arrived: {len(arrived)} of {4 * ENTRIES}")
    assert len(arrived) == 4 * ENTRIES
    for n in range(4):  # each issue whole, in order, once
        assert all(text.count(f"期{n}条{k}\n") == 1 for k in range(ENTRIES))
    assert SLOW_DOWN not in text and "抱歉" not in text
    answered = await telegram.callback_answers(chat)
    assert len(answered) == 4 and all(a.get("answered") for a in answered), answered


async def test_eight_quick_searches_all_answered(real_throttle: BotHarness) -> None:
    bot = real_throttle
    entries = [make_entry(f"量化方法 {k}", url=f"https://example.com/q{k}") for k in range(3)]
    await ingest_issue(bot.db, make_issue("2021-01-05", *entries), "h", "t")
    chat = await bot.private(1302)
    updates = [await bot.emulator.send_update(chat, text="/search 量化") for _ in range(8)]
    await handled(bot, updates, within=30)
    answers = [m for m in await bot.messages(chat) if "量化方法" in m["plain"]]
    print(f"search answers: {len(answers)} of 8")
    assert len(answers) == 8


async def test_a_burst_beyond_the_user_limit_is_told_once(real_throttle: BotHarness) -> None:
    bot = real_throttle
    chat = await bot.private(1303)
    updates = [await bot.emulator.send_update(chat, text="/help") for _ in range(14)]
    await handled(bot, updates, within=30)
    texts = [m["plain"] for m in await bot.messages(chat)]
    helps = [t for t in texts if "/search" in t]
    told = [t for t in texts if SLOW_DOWN in t]
    print(f"helps {len(helps)}, told {len(told)}")
    assert len(told) == 1  # one polite answer for the whole burst, and it arrives
    assert 8 <= len(helps) < 14


async def test_a_burst_of_starts_welcomes_everyone(telegram: BotHarness) -> None:
    chats = [await telegram.private(20_000 + n) for n in range(100)]
    updates = [await telegram.emulator.send_update(c, text="/start") for c in chats]
    await handled(telegram, updates, within=30)
    welcomed = 0
    for chat in chats:
        got = await telegram.messages(chat)
        welcomed += sum("欢迎" in m["plain"] for m in got)
    print(f"welcomes: {welcomed} of 100")
    assert welcomed == 100
    stats = await telegram.emulator.stats()
    assert stats["answers"]["429"] == 0  # paced, not retried


async def test_many_searchers_in_a_group_get_every_reply_in_order(
    emulator: EmulatorClient, db: aiosqlite.Connection, telegram_settings: Settings
) -> None:
    # A faster group limit than Telegram's 20/min, on both sides, so the test takes seconds.
    await emulator.configure(chat_per_s=4, chat_burst=3, group_per_min=240)
    limits = Limits(chat_per_s=4, group_per_min=240)
    from bot.telegram.throttle import Throttle

    bot = await BotHarness.start(
        emulator, db, telegram_settings, limits=limits, throttle=Throttle(rate=1000, burst=1000)
    )
    try:
        entries = [make_entry(f"量化方法 {k}", url=f"https://example.com/q{k}") for k in range(3)]
        await ingest_issue(bot.db, make_issue("2021-01-05", *entries), "h", "t")
        group = await bot.group(-100_555, admins=[1])
        users = range(30)
        updates = [
            await bot.emulator.send_update(group, user_id=500 + u, text=f"/search 量化 -zz{u:02d}")
            for u in users
        ]
        await handled(bot, updates, within=60)
        replies = [m["plain"] for m in await bot.messages(group) if "量化方法" in m["plain"]]
        print(f"group replies: {len(replies)} of 30")
        order = [next(u for u in users if f"zz{u:02d}" in r) for r in replies]
        assert order == list(users)
        assert (await bot.emulator.stats())["answers"]["429"] == 0
    finally:
        await bot.stop()
    assert not bot.tracker.errors, bot.tracker.errors
    assert await bot.violations() == []


async def test_group_replies_keep_to_twenty_a_minute(telegram: BotHarness) -> None:
    entries = [make_entry(f"量化方法 {k}", url=f"https://example.com/q{k}") for k in range(3)]
    await ingest_issue(telegram.db, make_issue("2021-01-05", *entries), "h", "t")
    group = await telegram.group(-100_556, admins=[1])
    started = time.monotonic()
    updates = [
        await telegram.emulator.send_update(group, user_id=600 + u, text=f"/search 量化 -zz{u:02d}")
        for u in range(8)
    ]
    await handled(telegram, updates, within=60)
    took = time.monotonic() - started
    replies = [m["plain"] for m in await telegram.messages(group) if "量化方法" in m["plain"]]
    print(f"group at 20/min: {len(replies)} of 8 replies in {took:.1f} s")
    assert [next(u for u in range(8) if f"zz{u:02d}" in r) for r in replies] == list(range(8))
    assert took >= 8  # a burst of five, then one every 3 s: paced, not refused
    assert (await telegram.emulator.stats())["answers"]["429"] == 0


async def test_readers_are_served_first_while_a_digest_goes_out(
    telegram: BotHarness, delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    from bot.delivery.client import DigestClient
    from bot.delivery.sender import Sender, SenderOptions

    subscribers = [await delivery.reader(30_000 + n) for n in range(240)]
    await delivery.publish(shapes_issue)
    readers = [await telegram.private(40_000 + n) for n in range(60)]  # 2 s of the bot's 30/s
    sender = Sender(
        telegram.database,
        DigestClient(telegram.bot),
        "test-sender",
        SenderOptions(limits=telegram.limits),
        limiter=telegram.outbound,
    )
    stop = asyncio.Event()
    sending = asyncio.create_task(sender.run(stop, until_idle=True))
    await delivery.emulator.wait_messages(subscribers[40], 1, within=10)  # well under way
    due_before = len([r for r in await delivery.rows() if r[3] != "sent"])
    started = time.monotonic()
    updates = [await telegram.emulator.send_update(r, text="/help") for r in readers]
    await handled(telegram, updates, within=30)
    replied_after = time.monotonic() - started
    pending = [r for r in await delivery.rows() if r[3] != "sent"]
    print(f"60 replies within {replied_after:.2f} s; {len(pending)} digest rows still due")
    assert replied_after < 5.0  # 2 s at 30/s; slack for a busy machine
    assert len(pending) >= due_before - 10  # the digest waited while readers were served
    tally = await asyncio.wait_for(sending, 60)
    print(f"digest: {tally.sent} sent, {tally.floods} floods")
    assert tally.sent == len(await delivery.rows()) and tally.floods == 0
    for reader in readers:
        assert len(await telegram.messages(reader)) == 1
    assert (await telegram.emulator.stats())["answers"]["429"] == 0


async def test_a_reply_that_meets_a_429_is_sent_again(telegram: BotHarness) -> None:
    chat = await telegram.private(1304)
    await telegram.emulator.fail_next("sendMessage", "429")
    reply = await telegram.ask(chat, "/help")
    assert "/search" in reply and "抱歉" not in reply  # waited out retry_after, not apologised
    assert (await telegram.emulator.stats())["answers"]["429"] == 1
    assert telegram.outbound.retried == 1


async def test_the_sender_steps_aside_only_for_a_reply_that_could_go() -> None:
    from bot.delivery.outbound import SharedLimiter

    limiter = SharedLimiter(Limits(global_per_s=1000, chat_per_s=1))
    now = time.monotonic()
    limiter.take(7, now)  # chat 7 just got a message: its next reply waits ~1 s
    waiting = asyncio.create_task(limiter.acquire(("chat", 7), 7))
    await asyncio.sleep(0)
    assert limiter.queued == 1
    assert limiter.global_wait(time.monotonic()) == 0  # nothing a reader could send now
    quick = asyncio.create_task(limiter.acquire(("chat", 8), 8))
    await asyncio.sleep(0)
    assert limiter.global_wait(time.monotonic()) > 0  # chat 8's reply goes first
    await asyncio.wait_for(quick, 1)
    await asyncio.wait_for(waiting, 3)
    assert limiter.queued == 0


async def test_a_cancelled_reply_leaves_the_queue() -> None:
    from bot.delivery.outbound import SharedLimiter

    limiter = SharedLimiter(Limits(global_per_s=1000, chat_per_s=1))
    limiter.take(9, time.monotonic())
    waiting = asyncio.create_task(limiter.acquire(("chat", 9), 9))
    await asyncio.sleep(0)
    assert limiter.queued == 1
    waiting.cancel()  # the handler went away (shutdown): its place is given up
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert limiter.queued == 0
    assert limiter.global_wait(time.monotonic()) == 0
