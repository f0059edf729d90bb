"""One `bot run` per database: a lease row with a heartbeat.

A starter takes the lease when there is none, when its heartbeat is older than the
time-to-live, or when its holder is a process on this host that no longer exists
(a daemon killed with SIGKILL and restarted at once need not wait the TTL).
Otherwise it refuses — or, as a standby, waits until the lease is free.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

from bot.logs import event
from bot.store.database import Database
from bot.store.db import is_busy
from bot.store.leases import LeaseHolder, beat_lease, drop_lease, lease_holder, take_lease

LEASE_NAME = "bot-run"
DEFAULT_TTL = 30.0

log = logging.getLogger("bot.run.lease")


class LeaseHeld(Exception):
    """Another live `bot run` holds the lease."""

    def __init__(self, holder: LeaseHolder, ttl: float) -> None:
        age = max(0.0, time.time() - holder.heartbeat)
        super().__init__(
            f"another bot run (pid {holder.pid} on {holder.host}, running since"
            f" {holder.acquired_at} UTC, last heartbeat {age:.0f} s ago) already uses this"
            f" database; stop it first, or start this one with --standby to wait"
            f" (a dead holder's lease expires after {ttl:.0f} s)"
        )
        self.holder = holder


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class DaemonLease:
    # Owners held by this process: a holder row with our pid but another owner is a previous
    # incarnation (a restarted container reuses pid 1), unless it is listed here.
    _held_here: set[str] = set()  # noqa: RUF012

    def __init__(
        self,
        db: Database,
        *,
        ttl: float = DEFAULT_TTL,
        name: str = LEASE_NAME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.ttl = ttl
        self.name = name
        self.clock = clock
        self.owner = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.lost = asyncio.Event()  # set when another instance took the lease over

    def _stale(self, holder: LeaseHolder) -> bool:
        if self.clock() - holder.heartbeat > self.ttl:
            return True
        if holder.host != self.host:
            return False
        if holder.pid == os.getpid():
            return holder.owner not in DaemonLease._held_here
        return _process_gone(holder.pid)

    async def try_acquire(self) -> LeaseHolder | None:
        """Take the lease; return None on success, else the live holder."""
        for _ in range(3):
            holder = await lease_holder(self.db.reader, self.name)
            if holder is not None and holder.owner != self.owner and not self._stale(holder):
                return holder
            taken = await self.db.write(
                partial(
                    take_lease,
                    name=self.name,
                    owner=self.owner,
                    pid=self.pid,
                    host=self.host,
                    now=self.clock(),
                    unless_alive=holder,
                )
            )
            if taken:
                DaemonLease._held_here.add(self.owner)
                if holder is not None and holder.owner != self.owner:
                    event(
                        log, "lease.taken_over", previous_pid=holder.pid, previous_host=holder.host
                    )
                return None
        holder = await lease_holder(self.db.reader, self.name)
        assert holder is not None
        return holder

    async def acquire(self) -> None:
        """Take the lease or raise :class:`LeaseHeld`."""
        holder = await self.try_acquire()
        if holder is not None:
            raise LeaseHeld(holder, self.ttl)
        event(log, "lease.acquired", pid=self.pid, host=self.host)

    async def wait_acquire(self, stop: asyncio.Event) -> bool:
        """Standby: wait until the lease is free (True) or ``stop`` is set (False)."""
        announced = False
        while not stop.is_set():
            holder = await self.try_acquire()
            if holder is None:
                event(log, "lease.acquired", pid=self.pid, host=self.host, standby=True)
                return True
            if not announced:
                event(log, "lease.standby", holder_pid=holder.pid, holder_host=holder.host)
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=min(2.0, self.ttl / 3))
        return False

    async def beat(self, patience_s: float = 0.0) -> bool:
        """Refresh the heartbeat; False when the lease was lost (another took it over)."""
        now = self.clock()
        return await self.db.write(
            lambda c: beat_lease(c, self.name, self.owner, now), patience_s=patience_s
        )

    async def keep_alive(self) -> None:
        """Heartbeat every third of the TTL until cancelled, or until the lease is lost.

        A busy database (another process writing) delays a beat, never ends the loop:
        a heartbeat that silently stopped would let a standby take over while this
        daemon still runs."""
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                held = await self.beat(patience_s=self.ttl / 3)
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                event(
                    log,
                    "lease.beat_delayed",
                    logging.WARNING,
                    error=str(exc),
                    hint="the database stayed busy; trying again",
                )
                continue
            if not held:
                event(
                    log,
                    "lease.lost",
                    logging.ERROR,
                    hint="another bot run took over this database; stopping",
                )
                self.lost.set()
                return

    async def release(self) -> None:
        DaemonLease._held_here.discard(self.owner)
        await self.db.write(lambda c: drop_lease(c, self.name, self.owner))
        event(log, "lease.released", pid=self.pid)


@asynccontextmanager
async def held_lease(
    db: Database, *, ttl: float = DEFAULT_TTL, standby: bool, stop: asyncio.Event
) -> AsyncIterator[DaemonLease | None]:
    """Hold the lease (heartbeat running) for the block; released on
    the way out. Watch ``lease.lost``: set if another instance took it over meanwhile.

    Not standby: raise :class:`LeaseHeld` at once. Standby: wait for it; yields None
    when ``stop`` was set first.
    """
    lease = DaemonLease(db, ttl=ttl)
    if standby:
        if not await lease.wait_acquire(stop):
            yield None
            return
    else:
        await lease.acquire()
    keeper = asyncio.create_task(lease.keep_alive(), name="lease-heartbeat")
    try:
        yield lease
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        await lease.release()
