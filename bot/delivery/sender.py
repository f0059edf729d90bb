"""The sender: drains the outbox within Telegram's limits and loses nothing.

Rows are taken in batches of whole chats under a lease (``lease_owner`` +
``lease_until``, renewed while we hold them), so two senders never send the same
row and parts of one chat go out in order from one sender. Each send is framed
by two committed writes: ``sending`` before the call, ``sent`` (with the message
id) after it. A SIGKILL can therefore only repeat the sends that were in flight:
their rows are still ``sending`` and are sent again once the lease expires.

Scheduling: a heap of chats ordered by the time each may get its next message
(1/s per chat, 20/min per group, backoff after a failure). The loop takes the
earliest, waits for the global bucket and starts the send; each chat has at most
one message in flight, and at most ``max_in_flight`` run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import os
import random
import socket
import time
from collections import deque
from dataclasses import dataclass, field

import aiosqlite

from bot.delivery.client import DigestClient
from bot.delivery.errors import Failure, Kind, classify
from bot.delivery.ratelimit import Limits, RateLimiter
from bot.delivery.retry import RetryPolicy
from bot.store import deliveries as store
from bot.store import senders
from bot.store.deliveries import Job

log = logging.getLogger("bot.delivery")


class SenderStopped(Exception):
    """The sender cannot go on (Telegram refused the token): one sentence."""


@dataclass(slots=True)
class ChatQueue:
    chat_id: int
    jobs: deque[Job]
    failures: int = 0  # transient failures of the job at the head


@dataclass(slots=True)
class Tally:
    sent: int = 0
    edited: int = 0
    failed: int = 0
    cancelled: int = 0
    retried: int = 0
    floods: int = 0
    by_issue: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SenderOptions:
    limits: Limits = field(default_factory=Limits)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    lease_s: float = 30.0
    batch_chats: int = 500
    max_in_flight: int = 64
    idle_poll_s: float = 1.0


class Sender:
    def __init__(
        self,
        conn: aiosqlite.Connection,
        client: DigestClient,
        owner: str,
        options: SenderOptions | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.conn = conn
        self.client = client
        self.owner = owner
        self.options = options or SenderOptions()
        self.limiter = RateLimiter(self.options.limits)
        limits = self.options.limits
        # Enough chats in hand to fill the global rate at one message per chat per second.
        self._target = max(
            self.options.batch_chats, int(3 * limits.global_per_s / limits.chat_per_s)
        )
        self.rng = rng or random.Random()
        self.tally = Tally()
        self._heap: list[tuple[float, int, ChatQueue]] = []
        self._held: set[int] = set()  # chats in the heap or in flight
        self._seq = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(self.options.max_in_flight)
        self._wake = asyncio.Event()
        self._db = asyncio.Lock()  # one statement or transaction at a time on the connection
        self._fatal: str | None = None

    # -- scheduling ---------------------------------------------------------------

    def _push(self, queue: ChatQueue, ready: float) -> None:
        heapq.heappush(self._heap, (ready, self._next_seq(), queue))
        self._held.add(queue.chat_id)
        self._wake.set()

    def _drop(self, queue: ChatQueue) -> None:
        self._held.discard(queue.chat_id)
        self._wake.set()

    async def _refill(self) -> int:
        if len(self._held) >= self._target // 2:
            return 0
        async with self._db:
            jobs = await store.claim(
                self.conn,
                self.owner,
                now=time.time(),
                lease_s=self.options.lease_s,
                max_chats=self._target - len(self._held),
                skip_chats=self._held,
            )
        by_chat: dict[int, deque[Job]] = {}
        for job in jobs:
            by_chat.setdefault(job.chat_id, deque()).append(job)
        now = time.monotonic()
        for chat_id, queue in by_chat.items():
            self._push(ChatQueue(chat_id, queue), now)
        return len(jobs)

    async def _heartbeat(self) -> None:
        while True:
            async with self._db:
                await senders.announce_sender(
                    self.conn, self.owner, os.getpid(), socket.gethostname(), time.time()
                )
            await asyncio.sleep(self.options.lease_s / 3)
            async with self._db:
                await store.extend_leases(self.conn, self.owner, time.time() + self.options.lease_s)

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> Tally:
        """Send until ``stop`` is set (or, with ``until_idle``, nothing due is left)."""
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
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            async with self._db:
                await store.release(self.conn, self.owner)
                await senders.retire_sender(self.conn, self.owner)
            self.limiter.forget_idle(time.monotonic())
        if self._fatal is not None:
            raise SenderStopped(self._fatal)
        return self.tally

    async def _loop(self, stop: asyncio.Event, until_idle: bool) -> None:
        last_refill = -1e9
        while not stop.is_set() and self._fatal is None:
            self._wake.clear()  # before looking: a wake-up during the checks is not lost
            mono = time.monotonic()
            if mono - last_refill >= self.options.idle_poll_s or not self._heap:
                last_refill = mono
                claimed = await self._refill()
                if not self._heap:
                    if until_idle and not self._tasks and not claimed:
                        return
                    await self._sleep(stop, self.options.idle_poll_s)
                    continue
            ready, _, queue = self._heap[0]
            chat_wait = self.limiter.chat_wait(queue.chat_id, mono)
            if chat_wait > 0 and ready < mono + chat_wait:
                heapq.heapreplace(self._heap, (mono + chat_wait, self._next_seq(), queue))
                continue
            wait = max(ready - mono, self.limiter.global_wait(mono))
            if wait > 0:
                await self._sleep(stop, min(wait, self.options.idle_poll_s))
                continue
            heapq.heappop(self._heap)
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
            await self._deliver(queue)
        finally:
            self._slots.release()

    async def _deliver(self, queue: ChatQueue) -> None:
        job = queue.jobs[0]
        until = time.time() + self.options.lease_s
        async with self._db:
            current = await store.mark_sending(self.conn, job.id, self.owner, until)
        if current is None:
            # Our lease was lost, or a re-publish cancelled the row: start the chat afresh.
            async with self._db:
                await store.release_chat(self.conn, self.owner, queue.chat_id)
            self._drop(queue)
            return
        text_id, message_id = current
        text = job.text
        if text_id != job.text_id:  # a re-publish changed it since we claimed it
            async with self._db:
                text = await store.text_of(self.conn, job.id)
        try:
            if message_id is None:
                message_id = await self.client.send(job.target, text, job.thread_id)
                self.tally.sent += 1
            else:
                await self.client.edit(job.target, message_id, text)
                self.tally.edited += 1
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            await self._failed(queue, job, failure, message_id, text_id)
            return
        async with self._db:
            await store.mark_sent(self.conn, job.id, message_id, text_id)
        self.tally.by_issue[job.issue_id] = self.tally.by_issue.get(job.issue_id, 0) + 1
        self._next(queue)

    def _next(self, queue: ChatQueue, delay: float = 0.0) -> None:
        queue.jobs.popleft()
        queue.failures = 0
        self._again(queue, delay)

    def _again(self, queue: ChatQueue, delay: float = 0.0) -> None:
        if queue.jobs:
            now = time.monotonic()
            self._push(queue, now + max(delay, self.limiter.chat_wait(queue.chat_id, now)))
        else:
            self._drop(queue)

    async def _failed(
        self,
        queue: ChatQueue,
        job: Job,
        failure: Failure,
        message_id: int | None,
        text_id: int | None,
    ) -> None:
        kind, now = failure.kind, time.time()
        async with self._db:
            if kind is Kind.NOT_MODIFIED:
                await store.mark_sent(self.conn, job.id, message_id, text_id)
                self.tally.edited += 1
                self._next(queue)
            elif kind is Kind.FLOOD:
                self.tally.floods += 1
                self.limiter.pause(time.monotonic(), failure.retry_after)
                await store.mark_retry(self.conn, job.id, now, failure.reason)
                self._again(queue)
            elif kind is Kind.TRANSIENT:
                queue.failures += 1
                if self.options.policy.gives_up(queue.failures):
                    await store.mark_failed(self.conn, job.id, failure.reason)
                    self.tally.failed += 1
                    self._next(queue)
                    return
                delay = self.options.policy.delay(queue.failures, self.rng)
                self.tally.retried += 1
                await store.mark_retry(self.conn, job.id, now + delay, failure.reason)
                self._again(queue, delay)
            elif kind is Kind.MIGRATED and failure.migrate_to is not None:
                # The rows now belong to the new id and are free: the next claim resends.
                await store.migrate_chat(self.conn, queue.chat_id, failure.migrate_to)
                log.info("chat migrated old=%s new=%s", queue.chat_id, failure.migrate_to)
                self._drop(queue)
            elif kind is Kind.GONE:
                cancelled = await store.chat_gone(self.conn, queue.chat_id, failure.reason)
                self.tally.cancelled += cancelled
                log.info("chat inactive chat=%s reason=%r", queue.chat_id, failure.reason)
                self._drop(queue)
            elif kind is Kind.FATAL:
                await store.mark_retry(self.conn, job.id, now, failure.reason)
                self._fatal = f"Telegram refused the bot token ({failure.reason}); sending stopped"
                self._drop(queue)
                self._wake.set()
            else:
                await store.mark_failed(self.conn, job.id, failure.reason)
                self.tally.failed += 1
                self._next(queue)
