"""The scheduler on a fake job source: jobs come from the source, not from memory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.run.scheduler import DaemonScheduler


class FakeSource:
    def __init__(self) -> None:
        self.publishes: dict[int, datetime] = {}
        self.fired: list[int] = []
        self.fired_at: dict[int, datetime] = {}
        self.drains = 0
        self.wake: datetime | None = None
        self.fire_event = asyncio.Event()

    async def pending_publishes(self) -> list[tuple[int, datetime]]:
        return list(self.publishes.items())

    async def fire_publish(self, id_: int) -> None:
        self.publishes.pop(id_, None)
        self.fired.append(id_)
        self.fired_at[id_] = now()
        self.fire_event.set()

    async def next_delivery_at(self) -> datetime | None:
        return self.wake

    async def drain(self) -> None:
        self.drains += 1


def now() -> datetime:
    return datetime.now(UTC)


async def wait_for(cond: Callable[[], bool], seconds: float = 3.0) -> None:
    """Poll ``cond`` until true (the scheduler offers no event to wait on)."""
    async with asyncio.timeout(seconds):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_publishes_fire_at_due_time_and_overdue_ones_at_once() -> None:
    source = FakeSource()
    due = now() + timedelta(seconds=0.5)
    source.publishes = {1: now() - timedelta(minutes=5), 2: due}
    started = now()
    sched = DaemonScheduler(source, poll_seconds=0.2, drain_seconds=60)
    await sched.start()
    try:
        await wait_for(lambda: source.fired == [1, 2])
        assert source.fired_at[1] - started < timedelta(seconds=0.5)  # overdue: at once
        assert source.fired_at[2] >= due  # never early
    finally:
        await sched.stop()


async def test_publish_added_while_running_is_picked_up_by_polling() -> None:
    source = FakeSource()
    sched = DaemonScheduler(source, poll_seconds=0.2, drain_seconds=60)
    await sched.start()
    try:
        assert not any(j.startswith("publish:") for j in sched.job_ids())
        source.publishes[7] = now() + timedelta(seconds=0.3)
        await wait_for(lambda: "publish:7" in sched.job_ids() or source.fired == [7])
        await wait_for(lambda: source.fired == [7])
    finally:
        await sched.stop()


async def test_cancelled_publish_is_removed_and_never_fires() -> None:
    source = FakeSource()
    source.publishes[3] = now() + timedelta(seconds=0.1)
    # A witness due after #3: once it has fired, #3's time has passed too (due jobs run
    # in due order), so "never fired" is observed rather than waited for.
    source.publishes[4] = now() + timedelta(seconds=0.2)
    sched = DaemonScheduler(source, poll_seconds=30, drain_seconds=60)
    await sched.start()  # no await in start() or sync() yields to the scheduler's loop
    try:
        assert "publish:3" in sched.job_ids()
        del source.publishes[3]  # e.g. cancelled from the command line
        await sched.sync()  # what the poll does
        assert "publish:3" not in sched.job_ids()
        await asyncio.wait_for(source.fire_event.wait(), 3)
        assert source.fired == [4]
    finally:
        await sched.stop()


async def test_drain_runs_at_start_periodically_and_at_next_not_before() -> None:
    source = FakeSource()
    sched = DaemonScheduler(source, poll_seconds=0.1, drain_seconds=60)
    await sched.start()
    try:
        await wait_for(lambda: source.drains == 1)  # the first drain runs at start
        wake = source.wake = now() + timedelta(seconds=0.5)
        await wait_for(lambda: sched.next_run("deliveries:wake") == wake)
        assert source.drains == 1
        await wait_for(lambda: source.drains == 2)
        assert now() >= wake
    finally:
        await sched.stop()


async def test_stop_waits_for_a_running_job() -> None:
    release, finished = asyncio.Event(), asyncio.Event()

    class SlowSource(FakeSource):
        async def fire_publish(self, id_: int) -> None:
            self.publishes.pop(id_, None)
            self.fire_event.set()
            await release.wait()  # the job runs until the test lets it finish
            finished.set()

    source = SlowSource()
    source.publishes[1] = now()
    sched = DaemonScheduler(source, poll_seconds=0.1, drain_seconds=60)
    await sched.start()
    await asyncio.wait_for(source.fire_event.wait(), 2)
    stopping = asyncio.create_task(sched.stop())
    for _ in range(20):  # let stop() run as far as it can on its own
        await asyncio.sleep(0)
    assert not stopping.done()  # waiting for the job
    release.set()
    await asyncio.wait_for(stopping, 2)
    assert finished.is_set()
