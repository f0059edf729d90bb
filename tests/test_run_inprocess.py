"""The daemon in this process against the in-process emulator: what a stop leaves behind,
and chats with a delivery time waiting for it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.emulator.config import EmulatorConfig
from bot.run.daemon import Daemon
from bot.run.health import HealthState, report
from bot.run.lease import DaemonLease, held_lease
from bot.run.options import RunOptions
from bot.store import deliveries
from bot.store.base import to_stamp
from bot.store.chats import update_settings, upsert_chat
from bot.store.database import open_database
from bot.store.db import open_db, transaction
from bot.store.outbox import count_by_status
from bot.store.scheduled import add_scheduled, get_scheduled
from tests.support.emulator import EmulatorClient
from tests.support.run import TEST_TOKEN

CHATS = range(5001, 5009)


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    config = EmulatorConfig.unlimited()
    config.latency_ms = 400  # every send is in flight for a while
    return config


@dataclass
class Running:
    conn: aiosqlite.Connection
    daemon: Daemon
    stop: asyncio.Event
    task: asyncio.Task[int]
    lease: DaemonLease


@pytest.fixture
async def running(
    tmp_path: Path, emulator: EmulatorClient, seed_path: Path
) -> AsyncIterator[Running]:
    db = tmp_path / "bot.sqlite3"
    settings = Settings.model_construct(
        token=SecretStr(TEST_TOKEN), api_base=emulator.base_url, db=db, tz="Asia/Shanghai"
    )
    async with open_db(db) as conn:
        async with transaction(conn):
            for chat_id in CHATS:
                await upsert_chat(conn, chat_id, "private", f"reader {chat_id}", "zh")
        for chat_id in CHATS:
            await emulator.add_chat(chat_id, "private")
        stop = asyncio.Event()
        async with (
            open_database(db) as database,
            held_lease(database, standby=False, stop=stop) as lease,
        ):
            assert lease is not None
            daemon = Daemon(settings, RunOptions(poll_seconds=0.2, polling_timeout=1), database)
            task = asyncio.create_task(daemon.run(stop, lease))
            await asyncio.wait_for(daemon.ready.wait(), 20)
            yield Running(conn, daemon, stop, task, lease)
            stop.set()
            await task


async def until(cond: Callable[[], Awaitable[Any]], within: float = 15.0) -> Any:
    async with asyncio.timeout(within):
        while not (value := await cond()):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return value


async def test_stop_lets_in_flight_sends_finish(
    running: Running, emulator: EmulatorClient, seed_path: Path
) -> None:
    text = await asyncio.to_thread(seed_path.read_text, encoding="utf-8")
    await add_scheduled(
        running.conn,
        file_name="2021-01-05.md",
        content=text,
        force=True,
        due_at=to_stamp(datetime.now(UTC)),
    )

    async def sending() -> bool:
        return (await count_by_status(running.conn))["sending"] > 0

    await until(sending)  # sends are in flight (each takes 400 ms at the emulator)
    running.stop.set()
    assert await asyncio.wait_for(running.task, 10) == 0
    counts = await count_by_status(running.conn)
    assert counts["sending"] == 0  # every send in flight finished and was recorded
    received = sum([len(await emulator.messages(chat)) for chat in CHATS])
    assert received == counts["sent"] > 0  # what the sender recorded is what Telegram got


async def test_stop_with_slow_api_calls_cuts_them_short_as_uncertain(
    running: Running, emulator: EmulatorClient, seed_path: Path
) -> None:
    """Every call takes 15 s: the stop cannot wait for them. It cancels them at its
    deadline, records each as uncertain (it may have reached Telegram) and ends well
    within the 10 s systemd and Docker allow."""
    await emulator.configure(latency_ms=15_000)
    text = await asyncio.to_thread(seed_path.read_text, encoding="utf-8")
    await add_scheduled(
        running.conn,
        file_name="2021-01-05.md",
        content=text,
        force=True,
        due_at=to_stamp(datetime.now(UTC)),
    )

    async def in_flight() -> int:
        return (await count_by_status(running.conn))["sending"]

    await until(lambda: in_flight())
    await asyncio.sleep(0.3)  # let the sender start what it can (8 chats: 8 sends)
    sending = await in_flight()
    started = time.monotonic()
    running.stop.set()
    assert await asyncio.wait_for(running.task, 15) == 0
    took = time.monotonic() - started
    print(f"stop with {sending} sends of 15 s in flight took {took:.2f} s")
    assert took < 10.0  # systemd's and Docker's stop timeout: the budget is 5 s of it
    counts = await count_by_status(running.conn)
    assert counts["sending"] == 0 and counts["sent"] == 0
    async with running.conn.execute(
        "SELECT count(*) FROM outbox WHERE uncertain_at IS NOT NULL AND status = 'pending'"
        " AND lease_owner IS NULL"
    ) as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == sending  # each cut send: uncertain, free to resend


async def test_delivery_time_holds_messages_and_schedules_a_wake_up(
    running: Running,
    emulator: EmulatorClient,
    seed_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every look the sender takes at the outbox: when it started, how many rows it took.
    polls: list[tuple[float, int]] = []
    claim = deliveries.claim

    async def counted_claim(*args: Any, **kwargs: Any) -> list[deliveries.Job]:
        started = time.monotonic()
        jobs = await claim(*args, **kwargs)
        polls.append((started, len(jobs)))
        return jobs

    monkeypatch.setattr(deliveries, "claim", counted_claim)
    later = datetime.now(UTC) + timedelta(hours=3)
    async with transaction(running.conn):
        for chat_id in CHATS:
            await update_settings(
                running.conn, chat_id, timezone="UTC", delivery_time=later.strftime("%H:%M")
            )
    text = await asyncio.to_thread(seed_path.read_text, encoding="utf-8")
    id_ = await add_scheduled(
        running.conn,
        file_name="2021-01-05.md",
        content=text,
        force=True,
        due_at=to_stamp(datetime.now(UTC)),
    )

    async def published() -> bool:
        row = await get_scheduled(running.conn, id_)
        return row is not None and row.status == "done"

    await until(published)
    after = time.monotonic()

    async def polled_since() -> bool:
        return any(started > after for started, _ in polls)

    await until(polled_since)  # the sender looked at the outbox with the rows queued
    assert [taken for _, taken in polls] == [0] * len(polls)  # and never took one
    assert all([await emulator.messages(chat) == [] for chat in CHATS])
    counts = await count_by_status(running.conn)
    assert counts["pending"] > 0 and counts["sent"] == 0

    assert running.daemon.scheduler is not None
    wake = running.daemon.scheduler.next_run("deliveries:wake")
    assert wake is not None
    expected = later.replace(second=0, microsecond=0)
    assert abs((wake - expected).total_seconds()) < 1


async def test_health_report_turns_unhealthy_when_the_database_fails() -> None:
    async def broken() -> dict[str, int]:
        import sqlite3

        raise sqlite3.OperationalError("unable to open database file")

    ok, body = await report(HealthState(), broken)
    assert not ok and "database not reachable" in body["problems"]  # type: ignore[operator]
    stale = HealthState(started=0.0)
    ok, body = await report(stale, lambda: asyncio.sleep(0, {"pending_deliveries": 0}))
    assert not ok and "getUpdates" in str(body["problems"])
