"""One outbound path for every Bot API call, within Telegram's flood limits.

Replies, callback answers and edits (the interactive lane) and the sender's digests
(the bulk lane) take from the same :class:`RateLimiter` buckets: 30/s for the bot,
1/s per chat with a small burst, 20/min per group. The sender paces itself with the
limiter's own methods; interactive calls wait here, in order of arrival (per chat, in
the order they were made), and while one of them could go now the sender's
``global_wait`` is never 0: readers go first, the digest takes what is left.

A 429 on an interactive call holds that chat for Telegram's ``retry_after``; the call
then keeps its place at the head of its chat's queue and is made again (see the aiogram
side in ``bot.telegram.outbound``), so a flood delays a reply and never drops it.

The bulk lane is marked with :func:`bulk` (a context variable set by the delivery
client around its calls): those calls were paced by the sender and pass through.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import deque
from collections.abc import Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from bot.delivery.ratelimit import Limits, RateLimiter

_BULK: ContextVar[bool] = ContextVar("outbound_bulk", default=False)
IDLE_CHECK_S = 1.0  # the longest the pump sleeps without looking again


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Mark the calls made inside as the sender's (already paced, their 429s its own)."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


def in_bulk() -> bool:
    return _BULK.get()


@dataclass(slots=True)
class _Waiter:
    seq: int
    chat_id: int | None  # the chat whose per-chat and group limits apply; None: global only
    future: asyncio.Future[None] = field(repr=False)


class SharedLimiter(RateLimiter):
    """A :class:`RateLimiter` whose interactive calls queue here and go before the sender's.

    ``acquire`` returns once a call may be made (a token taken from each bucket that
    applies); the sender keeps using ``chat_wait``, ``global_wait`` and ``take``.
    """

    def __init__(self, limits: Limits) -> None:
        super().__init__(limits)
        self._lanes: dict[Hashable, deque[_Waiter]] = {}
        self._seq = itertools.count()
        self._held: dict[Hashable, float] = {}  # lane → monotonic time a 429 holds it until
        self._wake: asyncio.Event | None = None
        self._pump: asyncio.Task[None] | None = None
        self.queued = 0
        self.retried = 0  # interactive calls made again after a 429

    # -- the sender's side -----------------------------------------------------------

    def global_wait(self, now: float) -> float:
        """The sender's wait: never 0 while a reader's call could go now."""
        wait = super().global_wait(now)
        if self.queued and self._ready(now) is not None:
            wait = max(wait, 1.0 / self.limits.global_per_s)
        return wait

    # -- the interactive side ----------------------------------------------------------

    async def acquire(self, lane: Hashable, chat_id: int | None, *, seq: int | None = None) -> int:
        """Wait for the turn of one call in ``lane`` (a chat; calls of one lane keep their
        order) and take its tokens. ``seq`` (what an earlier acquire returned) puts a call
        made again after a 429 back at the head of its lane, before later ones."""
        loop = asyncio.get_running_loop()
        waiter = _Waiter(next(self._seq) if seq is None else seq, chat_id, loop.create_future())
        queue = self._lanes.setdefault(lane, deque())
        if seq is None:
            queue.append(waiter)
        else:
            queue.appendleft(waiter)
        self.queued += 1
        if self._wake is None:
            self._wake = asyncio.Event()
        self._wake.set()
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._run(), name="outbound")
        try:
            await waiter.future
        except asyncio.CancelledError:
            if not waiter.future.done() or waiter.future.cancelled():
                self._forget(lane, waiter)
            raise
        return waiter.seq

    def hold(self, lane: Hashable, seconds: float) -> None:
        """Telegram answered 429 for a call of ``lane``: nothing more goes there for a while."""
        self.retried += 1
        until = time.monotonic() + seconds
        self._held[lane] = max(self._held.get(lane, 0.0), until)

    def _forget(self, lane: Hashable, waiter: _Waiter) -> None:
        queue = self._lanes.get(lane)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            self.queued -= 1
            if not queue:
                del self._lanes[lane]
            if self._wake is not None:
                self._wake.set()  # the pump looks again (and ends when nothing waits)

    def _wait_of(self, lane: Hashable, waiter: _Waiter, now: float) -> float:
        held = self._held.get(lane, 0.0) - now
        if held <= 0 and lane in self._held:
            del self._held[lane]
        if waiter.chat_id is None:
            return max(held, self.paused_for(now))
        return max(held, self.chat_wait(waiter.chat_id, now))

    def _ready(self, now: float) -> tuple[Hashable, _Waiter] | None:
        """The earliest-made call whose chat may get it now, if any."""
        best: tuple[Hashable, _Waiter] | None = None
        for lane, queue in self._lanes.items():
            head = queue[0]
            if (best is None or head.seq < best[1].seq) and self._wait_of(lane, head, now) <= 0:
                best = (lane, head)
        return best

    def _soonest(self, now: float) -> float:
        waits = (self._wait_of(lane, queue[0], now) for lane, queue in self._lanes.items())
        return min(waits, default=IDLE_CHECK_S)

    async def _run(self) -> None:
        assert self._wake is not None
        while self.queued:
            now = time.monotonic()
            ready = self._ready(now)
            if ready is not None:
                wait = RateLimiter.global_wait(self, now)
                if wait <= 0:
                    lane, waiter = ready
                    if waiter.chat_id is None:
                        self.take_global(now)
                    else:
                        self.take(waiter.chat_id, now)
                    self._forget(lane, waiter)
                    if not waiter.future.done():
                        waiter.future.set_result(None)
                    continue
            else:
                wait = self._soonest(now)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(max(wait, 0.001), IDLE_CHECK_S))
