"""What the daemon's scheduler runs, read from and written to the database.

:class:`DbJobSource` is the scheduler's :class:`~bot.run.scheduler.JobSource`:
scheduled publishes (claimed before they run, so each runs once even with a
standby daemon or after a crash), the next delivery wake-up, the outbox drain.
:class:`DeliveryReporter` logs one summary line per issue when its outbox drains.
:class:`DbWatch` checks the database itself: still the file opened (every few
seconds), still sound (``PRAGMA quick_check``, hourly).

The scheduler runs its jobs as concurrent tasks: they read on the process's
``Database.reader`` and write through ``Database.write`` like every other part.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from bot import exits
from bot.logs import event
from bot.publishing.release import PublishRefused, PublishSummary
from bot.store.base import StoreError, parse_stamp, to_stamp
from bot.store.database import Action, Database
from bot.store.db import integrity_problems, is_busy
from bot.store.delivery_report import (
    delivery_counts,
    issues_enqueued_after,
    next_not_before,
    open_issue_ids,
)
from bot.store.scheduled import (
    ScheduledPublish,
    claim_scheduled,
    finish_scheduled,
    get_scheduled,
    list_scheduled,
    mark_missed,
    release_scheduled,
    requeue_running,
)

log = logging.getLogger("bot.run")

BUSY_PATIENCE_S = 30.0  # of waiting for a busy database between two warnings
T = TypeVar("T")

# (connection, file name, issue text, force, the issue's date) -> what was published.
Publish = Callable[[Database, str, str, bool, str | None], Awaitable[PublishSummary]]


class DbJobSource:
    def __init__(
        self,
        db: Database,
        *,
        owner: str,
        publish: Publish,
        drain: Callable[[], Awaitable[None]],
        grace: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        busy_patience_s: float = BUSY_PATIENCE_S,
    ) -> None:
        self.db = db
        self.owner = owner
        self.publish = publish
        self._drain = drain
        self.grace = grace
        self.clock = clock
        self.busy_patience_s = busy_patience_s

    async def _patiently(self, action: Callable[[], Awaitable[T]], what: str) -> T:
        """Run one atomic, idempotent step; while another process holds the write lock
        (a big `bot publish`), wait and run it again — a scheduled publish is never
        dropped because the database was busy. Every ``busy_patience_s`` of waiting is
        logged."""
        while True:
            try:
                return await action()
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                event(
                    log,
                    "publish.waiting",
                    logging.WARNING,
                    step=what,
                    error=str(exc),
                    hint="another process holds the database; still trying",
                )

    async def _write(self, action: Action[T], what: str) -> T:
        return await self._patiently(
            lambda: self.db.write(action, patience_s=self.busy_patience_s), what
        )

    async def recover(self) -> list[ScheduledPublish]:
        """At start: retry publishes a dead daemon left running; report the hopelessly late."""
        requeued = await self._write(requeue_running, "requeue")
        older_than = to_stamp(self.clock() - self.grace)
        missed = await self._write(lambda c: mark_missed(c, older_than), "missed")
        if requeued:
            event(log, "publish.requeued", count=requeued)
        for row in missed:
            event(
                log,
                "publish.missed",
                logging.WARNING,
                id=row.id,
                file=row.file_name,
                due=row.due_at + "Z",
                grace_minutes=int(self.grace.total_seconds() // 60),
                hint="publish it now with: bot publish FILE",
            )
        return missed

    async def pending_publishes(self) -> list[tuple[int, datetime]]:
        rows = await list_scheduled(self.db.reader)
        return [(row.id, parse_stamp(row.due_at)) for row in rows]

    async def fire_publish(self, id_: int) -> None:
        """Claim, publish, record — each step waits out a busy database (publishing is
        idempotent). A refusal marks the row failed; another SQLite error (disk full,
        I/O) puts it back to pending for the next poll to retry."""
        claimed = await self._write(lambda c: claim_scheduled(c, id_, self.owner), "claim")
        if not claimed:
            return  # cancelled, or already taken
        row = await get_scheduled(self.db.reader, id_)
        assert row is not None
        late = (self.clock() - parse_stamp(row.due_at)).total_seconds()
        try:
            summary = await self._patiently(
                lambda: self.publish(
                    self.db, row.file_name, row.content, row.force, row.issue_date
                ),
                "publish",
            )
        except (PublishRefused, StoreError) as exc:
            reason = str(exc)
            await self._write(lambda c: finish_scheduled(c, id_, "failed", reason), "finish")
            event(log, "publish.failed", logging.ERROR, id=id_, file=row.file_name, error=reason)
            return
        except sqlite3.OperationalError as exc:
            await self._write(lambda c: release_scheduled(c, id_), "release")
            event(log, "publish.retry", logging.WARNING, id=id_, file=row.file_name, error=str(exc))
            return
        result = summary.english()
        await self._write(lambda c: finish_scheduled(c, id_, "done", result), "finish")
        event(
            log,
            "publish.fired",
            id=id_,
            file=row.file_name,
            late_s=round(max(late, 0), 1),
            result=result,
        )
        await self._drain()

    async def next_delivery_at(self) -> datetime | None:
        found = await next_not_before(self.db.reader, to_stamp(self.clock()))
        return parse_stamp(found) if found else None

    async def drain(self) -> None:
        await self._drain()


class DeliveryReporter:
    """Logs ``delivery.summary`` once per issue whenever its outbox has drained."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._checking = asyncio.Lock()  # guards watching/last_row, not the database
        self.watching: set[int] = set()
        self.last_row: int | None = None

    async def check(self) -> None:
        """Several jobs call this (drain, wake-up, after a publish): one at a time."""
        async with self._checking:
            await self._check()

    async def _check(self) -> None:
        conn = self.db.reader
        if self.last_row is None:  # at start: watch what is open, not old history
            _, self.last_row = await issues_enqueued_after(conn, 0)
            self.watching = await open_issue_ids(conn)
            return
        fresh, self.last_row = await issues_enqueued_after(conn, self.last_row)
        still_open = await open_issue_ids(conn)
        drained = (self.watching | fresh) - still_open
        self.watching = still_open
        if not drained:
            return
        for date, counts in (await delivery_counts(conn, drained)).values():
            fields: dict[str, object] = {
                "issue": date,
                "sent": counts.get("sent", 0),
                "failed": counts.get("failed", 0),
                "cancelled": counts.get("cancelled", 0),
            }
            if counts.get("failed"):
                fields["hint"] = "see bot deliveries --failed"
            event(
                log,
                "delivery.summary",
                logging.WARNING if counts.get("failed") else logging.INFO,
                **fields,
            )


class DbWatch:
    """The scheduler's database checks. On a failure it logs once, sets :attr:`failed`
    (the daemon then stops taking work and exits with :attr:`exit_code`) and leaves
    the sentence in :attr:`problem` (which /healthz reports)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.failed = asyncio.Event()
        self.problem: str | None = None
        self.exit_code = exits.OK

    def _fail(self, name: str, problem: str, exit_code: int, hint: str) -> None:
        if self.failed.is_set():
            return
        self.problem, self.exit_code = problem, exit_code
        event(log, name, logging.ERROR, error=problem, hint=hint)
        self.failed.set()

    async def watch(self) -> None:
        """The path still names the file opened? If not, every write goes nowhere."""
        problem = self.db.file_problem()
        if problem is not None:
            self._fail(
                "db.lost",
                problem,
                exits.TEMPFAIL,
                "stopping; restore a backup (or `bot db init`) before the next start",
            )

    async def check(self) -> None:
        """PRAGMA quick_check on the reader."""
        problems = await integrity_problems(self.db.reader)
        if problems:
            self._fail(
                "db.damaged",
                f"the database {self.db.path} is damaged (quick_check: {problems[0]})",
                exits.DAMAGED,
                "stopping; restore a backup — `bot db check --full` lists what is wrong",
            )
