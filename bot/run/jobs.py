"""What the daemon's scheduler runs, read from and written to the database.

:class:`DbJobSource` is the scheduler's :class:`~bot.run.scheduler.JobSource`:
scheduled publishes (claimed before they run, so each runs once even with a
standby daemon or after a crash), the next delivery wake-up, the outbox drain.
:class:`DeliveryReporter` logs one summary line per issue when its outbox drains.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import aiosqlite

from bot.logs import event
from bot.store.db import StoreError
from bot.store.schedule import (
    ScheduledPublish,
    claim_scheduled,
    delivery_counts,
    finish_scheduled,
    get_scheduled,
    issues_enqueued_after,
    list_scheduled,
    mark_missed,
    next_not_before,
    open_issue_ids,
    release_scheduled,
    requeue_running,
)

log = logging.getLogger("bot.run")

STAMP = "%Y-%m-%d %H:%M:%S"

# (connection, file name, issue text, force) -> one line saying what was published.
Publish = Callable[[aiosqlite.Connection, str, str, bool], Awaitable[str]]


class PublishRefused(Exception):
    """The scheduled issue cannot be published (lint errors, no date...): one sentence."""


def parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, STAMP).replace(tzinfo=UTC)


def to_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STAMP)


class DbJobSource:
    def __init__(
        self,
        conn: aiosqlite.Connection,
        *,
        owner: str,
        publish: Publish,
        drain: Callable[[], Awaitable[None]],
        grace: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.conn = conn
        self.owner = owner
        self.publish = publish
        self._drain = drain
        self.grace = grace
        self.clock = clock

    async def recover(self) -> list[ScheduledPublish]:
        """At start: retry publishes a dead daemon left running; report the hopelessly late."""
        requeued = await requeue_running(self.conn)
        if requeued:
            event(log, "publish.requeued", count=requeued)
        missed = await mark_missed(self.conn, to_stamp(self.clock() - self.grace))
        for row in missed:
            event(log, "publish.missed", logging.WARNING, id=row.id, file=row.file_name,
                  due=row.due_at + "Z", grace_minutes=int(self.grace.total_seconds() // 60),
                  hint="publish it now with: bot publish FILE")
        return missed

    async def pending_publishes(self) -> list[tuple[int, datetime]]:
        return [(row.id, parse_stamp(row.due_at)) for row in await list_scheduled(self.conn)]

    async def fire_publish(self, id_: int) -> None:
        if not await claim_scheduled(self.conn, id_, self.owner):
            return  # cancelled, or already taken
        row = await get_scheduled(self.conn, id_)
        assert row is not None
        late = (self.clock() - parse_stamp(row.due_at)).total_seconds()
        try:
            summary = await self.publish(self.conn, row.file_name, row.content, row.force)
        except (PublishRefused, StoreError) as exc:
            await finish_scheduled(self.conn, id_, "failed", str(exc))
            event(log, "publish.failed", logging.ERROR, id=id_, file=row.file_name,
                  error=str(exc))
            return
        except sqlite3.OperationalError as exc:  # busy beyond the timeout: try again soon
            await release_scheduled(self.conn, id_)
            event(log, "publish.retry", logging.WARNING, id=id_, file=row.file_name,
                  error=str(exc))
            return
        await finish_scheduled(self.conn, id_, "done", summary)
        event(log, "publish.fired", id=id_, file=row.file_name, late_s=round(max(late, 0), 1),
              result=summary)
        await self._drain()

    async def next_delivery_at(self) -> datetime | None:
        found = await next_not_before(self.conn, to_stamp(self.clock()))
        return parse_stamp(found) if found else None

    async def drain(self) -> None:
        await self._drain()


class DeliveryReporter:
    """Logs ``delivery.summary`` once per issue whenever its outbox has drained."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.watching: set[int] = set()
        self.last_row: int | None = None

    async def check(self) -> None:
        if self.last_row is None:  # at start: watch what is open, not old history
            _, self.last_row = await issues_enqueued_after(self.conn, 0)
            self.watching = await open_issue_ids(self.conn)
            return
        fresh, self.last_row = await issues_enqueued_after(self.conn, self.last_row)
        still_open = await open_issue_ids(self.conn)
        drained = (self.watching | fresh) - still_open
        self.watching = still_open
        if not drained:
            return
        for date, counts in (await delivery_counts(self.conn, drained)).values():
            fields: dict[str, object] = {
                "issue": date, "sent": counts.get("sent", 0), "failed": counts.get("failed", 0),
                "cancelled": counts.get("cancelled", 0),
            }
            if counts.get("failed"):
                fields["hint"] = "see bot deliveries --failed"
            event(log, "delivery.summary", logging.WARNING if counts.get("failed") else
                  logging.INFO, **fields)
