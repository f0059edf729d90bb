"""One `bot run` per database: the lease, and scheduled-publish rows claimed once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path

import pytest

from bot.run.lease import DaemonLease, LeaseHeld, held_lease
from bot.store.database import open_database
from bot.store.db import open_db
from bot.store.leases import lease_holder, take_lease
from bot.store.scheduled import (
    add_scheduled,
    claim_scheduled,
    finish_scheduled,
    list_scheduled,
    mark_missed,
    requeue_running,
)


async def test_second_lease_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    async with open_database(db) as a, open_database(db) as b:
        first, second = DaemonLease(a), DaemonLease(b)
        await first.acquire()
        with pytest.raises(LeaseHeld) as err:
            await second.acquire()
        message = str(err.value)
        assert f"pid {os.getpid()}" in message and "--standby" in message
        await first.release()
        await second.acquire()  # free again once released


async def test_expired_heartbeat_can_be_taken_over(tmp_path: Path) -> None:
    now = [1000.0]
    async with open_database(tmp_path / "bot.sqlite3") as database:
        first = DaemonLease(database, ttl=10, clock=lambda: now[0])
        first.pid = 2**22 + 12345  # some pid on another host, still "alive"
        first.host = "elsewhere"
        await first.acquire()
        second = DaemonLease(database, ttl=10, clock=lambda: now[0])
        now[0] += 5
        with pytest.raises(LeaseHeld):
            await second.acquire()
        assert await first.beat()
        now[0] += 11
        await second.acquire()
        assert not await first.beat()  # the old holder learns it lost the lease


async def test_dead_holder_on_this_host_is_replaced_at_once(tmp_path: Path) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import os; print(os.getpid())", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    async with open_database(tmp_path / "bot.sqlite3") as database:
        dead = DaemonLease(database, ttl=3600)
        dead.pid = int(out)  # that process has exited: the lease is stale now
        await dead.acquire()
        await DaemonLease(database, ttl=3600).acquire()


async def test_standby_waits_until_the_holder_releases(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    db = tmp_path / "bot.sqlite3"
    async with open_database(db) as a, open_database(db) as b:
        holder, standby = DaemonLease(a), DaemonLease(b)
        await holder.acquire()
        stop = asyncio.Event()
        waiter = asyncio.create_task(standby.wait_acquire(stop))
        async with asyncio.timeout(5):  # it tried, was refused and said it is waiting
            while not any(r.getMessage() == "lease.standby" for r in caplog.records):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert not waiter.done()
        await holder.release()
        assert await asyncio.wait_for(waiter, 5)


async def test_scheduled_rows_are_claimed_once_and_missed_ones_reported(tmp_path: Path) -> None:
    async with open_database(tmp_path / "bot.sqlite3") as database:
        conn = database.reader  # test set-up writes and reads
        old = await add_scheduled(
            conn, file_name="a.md", content="x", due_at="2026-01-01 00:00:00", force=False
        )
        soon = await add_scheduled(
            conn, file_name="b.md", content="y", due_at="2026-11-27 09:00:00", force=True
        )
        missed = await mark_missed(conn, older_than="2026-11-27 08:00:00")
        assert [m.id for m in missed] == [old]
        assert [p.id for p in await list_scheduled(conn)] == [soon]
        assert await claim_scheduled(conn, soon, "one")
        assert not await claim_scheduled(conn, soon, "two")
        # A daemon that died while running it: the row goes back to pending.
        assert await requeue_running(conn) == 1
        assert await claim_scheduled(conn, soon, "two")
        await finish_scheduled(conn, soon, "done", "published 2021-01-05")
        done = await list_scheduled(conn, ("done", "missed"))
        assert {(p.id, p.status) for p in done} == {(old, "missed"), (soon, "done")}


async def test_previous_incarnation_with_our_pid_is_replaced(tmp_path: Path) -> None:
    """A restarted container runs as pid 1 again: its old row must not lock it out."""
    async with open_database(tmp_path / "bot.sqlite3") as database:
        conn = database.reader  # test set-up writes and reads
        fresh = DaemonLease(database, ttl=3600)
        await take_lease(
            conn,
            fresh.name,
            owner="before-restart",
            pid=os.getpid(),
            host=fresh.host,
            now=fresh.clock(),
            unless_alive=None,
        )
        await fresh.acquire()


async def test_standby_stops_waiting_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    stop = asyncio.Event()
    async with (
        open_database(db) as database,
        held_lease(database, standby=False, stop=stop) as active,
    ):
        assert active is not None
        waiting = asyncio.create_task(_stand_by(db, stop))
        await asyncio.sleep(0.3)
        stop.set()  # what SIGTERM does
        assert await asyncio.wait_for(waiting, 5) is False


async def _stand_by(db: Path, stop: asyncio.Event) -> bool:
    async with (
        open_database(db) as database,
        held_lease(database, standby=True, stop=stop) as lease,
    ):
        return lease is not None


async def test_heartbeat_outlasts_a_busy_database(tmp_path: Path) -> None:
    """Another process holding the write lock longer than the busy timeout delays
    heartbeats; it must not stop them (a standby would then take over a live daemon)."""
    db = tmp_path / "bot.sqlite3"
    async with open_database(db, busy_timeout_ms=20) as database, open_db(db) as other:
        conn = database.reader
        lease = DaemonLease(database, ttl=0.3)
        await lease.acquire()
        keeper = asyncio.create_task(lease.keep_alive())
        try:
            await other.execute("BEGIN IMMEDIATE")
            await asyncio.sleep(0.6)  # several beats fall due while the database is busy
            await other.execute("COMMIT")
            assert not keeper.done()
            first = await lease_holder(conn, lease.name)
            assert first is not None

            async def beaten() -> bool:
                now = await lease_holder(conn, lease.name)
                return now is not None and now.heartbeat > first.heartbeat

            async with asyncio.timeout(10):
                while True:
                    if await beaten():
                        break
                    await asyncio.sleep(0.05)
            assert not lease.lost.is_set()
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
