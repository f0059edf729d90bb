"""The daemon's clock: an APScheduler ``AsyncIOScheduler`` whose jobs come from the database.

Nothing is pickled: on start and then every ``poll_seconds`` the jobs are rebuilt
from a :class:`JobSource` (the database, in the daemon; a fake in tests):

- one date job per pending scheduled publish (``publish:<id>``), run at once when
  already due — so a `bot publish --at` typed while the daemon runs is picked up
  within ``poll_seconds``;
- a wake-up at the earliest future ``not_before`` of the outbox (a chat's delivery
  time, the end of its quiet hours), which drains the outbox then;
- an interval job draining the outbox every ``drain_seconds``;
- the daemon's own checks (``checks``: the database file still there every few
  seconds, ``PRAGMA quick_check`` hourly), each an interval job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.logs import event

log = logging.getLogger("bot.run.scheduler")

PUBLISH_PREFIX = "publish:"
WAKE_JOB = "deliveries:wake"
DRAIN_JOB = "outbox:drain"
SYNC_JOB = "schedule:sync"
STOP_WAIT_SECONDS = 5.0

Job = Callable[[], Awaitable[None]]


class JobSource(Protocol):
    async def pending_publishes(self) -> list[tuple[int, datetime]]:
        """(id, due time as aware UTC datetime) of every pending scheduled publish."""

    async def fire_publish(self, id_: int) -> None:
        """Publish scheduled row ``id_`` (claiming it first, so it runs once)."""

    async def next_delivery_at(self) -> datetime | None:
        """The earliest future ``not_before`` among pending deliveries, if any."""

    async def drain(self) -> None:
        """Send what is due in the outbox (or wake the sender to do it)."""


class DaemonScheduler:
    def __init__(
        self,
        source: JobSource,
        *,
        poll_seconds: float = 1.0,
        drain_seconds: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        checks: Sequence[tuple[str, Job, float]] = (),
    ) -> None:
        self.source = source
        self.checks = tuple(checks)  # (job id, job, every so many seconds)
        self.poll_seconds = poll_seconds
        self.drain_seconds = drain_seconds
        self.clock = clock
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[Any]] = set()
        self._sync_lock = asyncio.Lock()
        self._wake_at: datetime | None = None

    def _guarded(self, name: str, job: Job) -> Job:
        """Wrap a job: track it for a clean stop, log (not swallow silently) its failure."""

        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a job failing must not stop the scheduler; it is logged
                event(
                    log, "job.failed", logging.ERROR, job=name, error=f"{type(exc).__name__}: {exc}"
                )
            finally:
                self._running.discard(task)

        return run

    def _add(self, job_id: str, job: Job, **trigger: Any) -> None:
        self.scheduler.add_job(
            self._guarded(job_id, job),
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
            **trigger,
        )

    async def start(self) -> None:
        """Build jobs from the source and start ticking."""
        self.scheduler.start()
        await self.sync()
        self._add(SYNC_JOB, self.sync, trigger="interval", seconds=self.poll_seconds)
        self._add(
            DRAIN_JOB,
            self.source.drain,
            trigger="interval",
            seconds=self.drain_seconds,
            next_run_time=self.clock(),
        )
        for job_id, job, seconds in self.checks:
            self._add(job_id, job, trigger="interval", seconds=seconds)

    def _publish_job(self, id_: int) -> Job:
        async def fire() -> None:
            await self.source.fire_publish(id_)

        return fire

    async def sync(self) -> None:
        """Make the jobs match the database: new publishes added, vanished ones removed."""
        async with self._sync_lock:
            pending = dict(await self.source.pending_publishes())
            now = self.clock()
            have = {
                int(job.id.removeprefix(PUBLISH_PREFIX))
                for job in self.scheduler.get_jobs()
                if job.id.startswith(PUBLISH_PREFIX)
            }
            for id_ in have - pending.keys():
                self.scheduler.remove_job(f"{PUBLISH_PREFIX}{id_}")
            for id_, due in pending.items():
                if id_ in have:
                    continue
                run_at = max(due, now)
                self._add(
                    f"{PUBLISH_PREFIX}{id_}",
                    self._publish_job(id_),
                    trigger="date",
                    run_date=run_at,
                )
                event(log, "publish.scheduled", id=id_, due=due.isoformat(timespec="seconds"))
            await self._schedule_wake(now)

    async def _schedule_wake(self, now: datetime) -> None:
        wake = await self.source.next_delivery_at()
        if wake is None or wake == self._wake_at:
            return
        self._wake_at = wake
        self._add(WAKE_JOB, self._wake, trigger="date", run_date=max(wake, now))

    async def _wake(self) -> None:
        self._wake_at = None
        await self.source.drain()

    def next_run(self, job_id: str) -> datetime | None:
        """When job ``job_id`` fires next (None: no such job)."""
        job = self.scheduler.get_job(job_id)
        return None if job is None else job.next_run_time

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self.scheduler.get_jobs())

    async def stop(self, wait_seconds: float = STOP_WAIT_SECONDS) -> None:
        """Stop firing new jobs, let running ones finish (up to ``wait_seconds``), shut down."""
        if not self.scheduler.running:
            return
        self.scheduler.pause()
        running = [t for t in self._running if t is not asyncio.current_task()]
        if running:
            _, late = await asyncio.wait(running, timeout=wait_seconds)
            for task in late:
                task.cancel()
        self.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
