"""The sender: drains the outbox within Telegram's limits and loses nothing.

Rows are taken in batches of whole chats under a short lease (``lease_owner`` +
``lease_until``: a few seconds, renewed by a heartbeat while we hold them; about
three seconds of sending's worth of chats), so two senders never send the same row,
parts of one chat go out in order from one sender, and a sender killed with SIGKILL
stalls its chats for seconds only. Each send is framed
by two committed records: ``sending`` before the call, ``sent`` (with the message
id) after it — committed together with those of the sends made at the same moment
(:mod:`bot.delivery.marks`). A SIGKILL can therefore only repeat the sends that were
in flight: their rows are still ``sending`` and are sent again once the lease expires.

Scheduling: a heap of chats ordered by the time each may get its next message
(1/s per chat, 20/min per group, a 429's retry_after for that chat, backoff after a
failure). The loop takes the
earliest, waits for the global bucket and starts the send
(:mod:`bot.delivery.attempt`: the call, its records, and what its answer means); each
chat has at most one message in flight, and at most ``max_in_flight`` run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import math
import os
import random
import socket
import sqlite3
import time
from collections import deque

import aiosqlite

from bot.delivery.attempt import BUSY_PATIENCE_S, Attempts
from bot.delivery.client import DigestClient
from bot.delivery.marks import MarkWriter
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.state import ChatQueue, SenderOptions, SenderStopped, Tally
from bot.store import deliveries as store
from bot.store import leases
from bot.store.database import Database
from bot.store.db import is_busy
from bot.store.deliveries import Job

__all__ = ["Sender", "SenderOptions", "SenderStopped", "Tally"]

log = logging.getLogger("bot.delivery")
# A chat whose next send is further away than this (a retry backoff, a 429's
# retry_after, an uncertain send's delay) is parked: it does not count among the chats
# in hand, so more are claimed instead of the send slots idling behind it.
PARK_S = 0.5
# While chats run short, claim again this often (not only every idle_poll_s).
REFILL_S = 0.05
# Waiting for the global bucket, sleep at least this long: at 1,000/s a wake-up per
# token was a loop iteration and a timer per send. The bucket holds 1/20 s of tokens,
# so none is lost by waking a little later.
PACE_S = 0.005


class Sender:
    def __init__(
        self,
        db: Database,
        client: DigestClient,
        owner: str,
        options: SenderOptions | None = None,
        *,
        rng: random.Random | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.db = db
        self.client = client
        self.owner = owner
        self.options = options or SenderOptions()
        # `bot run` passes the limiter its replies use too (bot.delivery.outbound).
        self.limiter = limiter or RateLimiter(self.options.limits)
        limits = self.options.limits
        # Chats in hand: about ``window_s`` seconds of sending at the global rate (each
        # chat takes ``chat_per_s``), enough to fill every send slot, so a crash stalls
        # seconds of traffic.
        opts = self.options
        window = 0
        if limits.global_per_s and limits.chat_per_s:
            window = math.ceil(opts.window_s * limits.global_per_s / limits.chat_per_s)
        # Sends in flight: enough for a tenth of a second of round trips at the global
        # rate (100 at a paid broadcast's 1,000/s), so a slower answer does not idle it.
        in_flight = max(opts.max_in_flight, math.ceil(limits.global_per_s / 10))
        self._target = min(opts.max_chats, max(opts.batch_chats, in_flight, window))
        self.rng = rng or random.Random()
        self.tally = Tally()
        self._heap: list[tuple[float, int, ChatQueue]] = []
        self._held: set[int] = set()  # chats in the heap or in flight
        self._seq = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(in_flight)
        self._wake = asyncio.Event()
        self._fatal: str | None = None
        self._fatal_cause: BaseException | None = None  # None: Telegram refused the token
        self._parked: set[int] = set()  # held chats waiting longer than PARK_S
        self._exhausted = False  # the last claim found fewer chats than it wanted
        self._marks = MarkWriter(db, owner, self.options.lease_s, BUSY_PATIENCE_S)
        self._attempts = Attempts(
            db, client, owner, self._marks, self, self.limiter, opts, self.tally, self.rng
        )
        self._write = self._attempts.write

    # -- scheduling ---------------------------------------------------------------

    def _push(self, queue: ChatQueue, ready: float) -> None:
        heapq.heappush(self._heap, (ready, self._next_seq(), queue))
        self._held.add(queue.chat_id)
        if ready - time.monotonic() > PARK_S:
            self._parked.add(queue.chat_id)
        else:
            self._parked.discard(queue.chat_id)
        self._wake.set()

    def drop(self, queue: ChatQueue) -> None:
        self._held.discard(queue.chat_id)
        self._parked.discard(queue.chat_id)
        self._wake.set()

    def _short(self) -> bool:
        """Whether the chats in hand (parked ones aside) are below half the target."""
        return len(self._held) - len(self._parked) < self._target // 2

    async def _refill(self) -> int | None:
        """Claim more chats; the number of rows taken, None when the database was busy."""
        if not self._short() or len(self._held) >= self.options.max_chats:
            return 0
        active = len(self._held) - len(self._parked)
        want = min(self._target - active, self.options.max_chats - len(self._held))
        held = set(self._held)
        try:
            jobs = await self.db.write(
                lambda c: store.claim(
                    c,
                    self.owner,
                    now=time.time(),
                    lease_s=self.options.lease_s,
                    max_chats=want,
                    skip_chats=held,
                ),
                patience_s=0,  # busy: claim at the next poll instead of stalling the loop
            )
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            return None  # another process writes (a publish): claim at the next poll
        self._exhausted = len({job.chat_id for job in jobs}) < want
        by_chat: dict[int, deque[Job]] = {}
        for job in jobs:
            by_chat.setdefault(job.chat_id, deque()).append(job)
            if job.uncertain:  # left so by an earlier run (a lost answer, a cut stop)
                self._attempts.unanswered.add(job.id)
        now = time.monotonic()
        for chat_id, queue in by_chat.items():
            self._push(ChatQueue(chat_id, queue), now)
        return len(jobs)

    async def _others_hold_due_rows(self) -> bool:
        """Draining until idle means every due row is sent: rows another sender leased
        are waited for — sent by it, or, if it died (SIGKILL), claimed once its lease
        expires — rather than left behind."""
        try:
            return await store.held_elsewhere(self.db.reader, self.owner, now=time.time())
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            return True  # cannot tell now: look again at the next poll

    async def _heartbeat(self) -> None:
        owner, pid, host = self.owner, os.getpid(), socket.gethostname()
        while True:
            await self._write(lambda c: leases.announce_sender(c, owner, pid, host, time.time()))
            await asyncio.sleep(self.options.lease_s / 3)
            await self._write(self._extend_leases)

    async def _extend_leases(self, conn: aiosqlite.Connection) -> None:
        await store.extend_leases(conn, self.owner, time.time() + self.options.lease_s)

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> Tally:
        """Send until ``stop`` is set (or, with ``until_idle``, nothing due is left —
        rows another sender holds included: see :meth:`_others_hold_due_rows`)."""
        heartbeat = asyncio.create_task(self._heartbeat())
        try:
            await self._loop(stop, until_idle)
            if self._tasks:
                await asyncio.gather(*self._tasks)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            for task in list(self._tasks):
                if not task.cancelling():  # once: a cancelled send records itself
                    task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._marks.flushed()
            owner = self.owner
            await self._write(lambda c: store.release(c, owner))
            await self._write(lambda c: leases.retire_sender(c, owner))
            self.limiter.forget_idle(time.monotonic())
        if self._fatal is not None:
            raise SenderStopped(self._fatal) from self._fatal_cause
        return self.tally

    async def _loop(self, stop: asyncio.Event, until_idle: bool) -> None:
        last_refill = -1e9
        while not stop.is_set() and self._fatal is None:
            self._wake.clear()  # before looking: a wake-up during the checks is not lost
            mono = time.monotonic()
            since = mono - last_refill
            early = since >= REFILL_S and not self._exhausted and self._short()
            if since >= self.options.idle_poll_s or not self._heap or early:
                last_refill = mono
                claimed = await self._refill()
                if not self._heap:
                    # Busy (None) is not idle: due rows may be waiting for that claim.
                    idle = until_idle and not self._tasks and claimed == 0
                    if idle and not await self._others_hold_due_rows():
                        return
                    await self._sleep(stop, self.options.idle_poll_s)
                    continue
            ready, _, queue = self._heap[0]
            chat_wait = self.limiter.chat_wait(queue.chat_id, mono)
            if chat_wait > 0 and ready < mono + chat_wait:
                heapq.heapreplace(self._heap, (mono + chat_wait, self._next_seq(), queue))
                continue
            global_wait = self.limiter.global_wait(mono)
            wait = max(ready - mono, global_wait)
            if wait > 0:
                if global_wait >= wait:  # paced by the global bucket: wake for a few
                    wait = max(wait, PACE_S)  # tokens at once, not once per token
                await self._sleep(stop, min(wait, self.options.idle_poll_s))
                continue
            heapq.heappop(self._heap)
            self._parked.discard(queue.chat_id)
            await self._slots.acquire()
            self.limiter.take(queue.chat_id, time.monotonic())
            task = asyncio.create_task(self._send_head(queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        if seconds < 0.05:  # pacing between sends: a plain sleep is cheapest
            await asyncio.sleep(seconds)
            return
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    # -- one send ------------------------------------------------------------------

    async def _send_head(self, queue: ChatQueue) -> None:
        try:
            await self._attempts.deliver(queue)
        except Exception as exc:  # a bug or an unusable database: stop, every row is kept
            log.exception("sender stopped on chat %s", queue.chat_id)
            self._fatal = f"sending stopped: {type(exc).__name__}: {exc}"
            self._fatal_cause = exc
            self._wake.set()
        finally:
            self._slots.release()

    def next(self, queue: ChatQueue, delay: float = 0.0) -> None:
        queue.jobs.popleft()
        queue.failures = 0
        queue.failing_since = None
        self.again(queue, delay)

    def again(self, queue: ChatQueue, delay: float = 0.0) -> None:
        if queue.jobs:
            now = time.monotonic()
            self._push(queue, now + max(delay, self.limiter.chat_wait(queue.chat_id, now)))
        else:
            self.drop(queue)

    def stop(self, reason: str) -> None:
        self._fatal = reason
        self._wake.set()
