"""The daemon's database checks (DbWatch) on real files, run by the real scheduler:
a damaged database found by the hourly quick_check, a deleted one by the watch."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot import exits
from bot.run.jobs import DbWatch
from bot.run.scheduler import DaemonScheduler
from bot.store.chats import upsert_chat
from bot.store.database import open_database
from tests.support.faults import corrupt_quietly, populated_db
from tests.test_run_scheduler import FakeSource


async def test_the_scheduled_quick_check_finds_damage_and_stops_the_daemon(
    tmp_path: Path,
) -> None:
    path = populated_db(tmp_path / "bot.sqlite3")
    async with open_database(path) as db:
        watch = DbWatch(db)
        sched = DaemonScheduler(
            FakeSource(), checks=[("db:watch", watch.watch, 0.1), ("db:check", watch.check, 0.2)]
        )
        await sched.start()
        try:
            assert {"db:watch", "db:check"} <= set(sched.job_ids())
            await asyncio.sleep(0.5)
            assert not watch.failed.is_set()  # a sound file passes, again and again
            corrupt_quietly(path)  # a bad disk, under the running daemon...
            # ...which goes on writing (that is also what makes other connections drop
            # the pages they had cached and read the file again).
            await db.write(lambda c: upsert_chat(c, 9999, "private", "new reader", "zh"))
            await asyncio.wait_for(watch.failed.wait(), 5)
        finally:
            await sched.stop()
    assert watch.exit_code == exits.DAMAGED
    assert watch.problem is not None and "is damaged (quick_check:" in watch.problem


async def test_the_watch_notices_a_deleted_file(tmp_path: Path) -> None:
    path = populated_db(tmp_path / "bot.sqlite3", chats=3)
    async with open_database(path) as db:
        watch = DbWatch(db)
        await watch.watch()
        assert not watch.failed.is_set()
        path.unlink()
        await watch.watch()
        assert watch.failed.is_set() and watch.exit_code == exits.TEMPFAIL
        assert watch.problem is not None and "was deleted" in watch.problem
