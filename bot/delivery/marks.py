"""Group commit of the sender's records of each send.

Every send is framed by two records: ``sending`` before the call, ``sent`` (with the
message id) after Telegram accepted it. Each was its own committed transaction (with
``synchronous=FULL``, an fsync), and at hundreds of sends a second those commits and
the thread hand-offs of aiosqlite cost more CPU than the sends. Here the records that
arrive while a commit is under way wait for the next one, and go together: at a low
rate each record is committed at once, at a high rate a commit carries many.

Nothing about the guarantee changes: a send starts only after its ``sending`` record is
committed, and a send's task goes on (the chat's next part, the tally) only after its
``sent`` record is committed — a crash can repeat only sends whose ``sent`` record had
not been committed yet, that is, sends in flight.

Commits are at least ``GATHER_S`` apart: at a thousand sends a second a commit then
carries about ten records of each kind instead of one or two, and each commit is four
aiosqlite thread hops (each a wake-up of the event loop) and a write of the same few
pages. In the lifted benchmark (same runs, alternating) that took the sender from
0.41–0.53 to 0.34–0.38 CPU s per 1,000 messages with commits 5 ms apart, and 10 ms
took another tenth off (0.33–0.41 against 0.40–0.44); 20 ms cut CPU further (0.29–0.31)
but held the rate below the limit (920–930 msg/s against 973: a send's slot is held
until its ``sent`` record is committed). At a low rate a record is committed at once;
at most it waits ``GATHER_S``, a few milliseconds of a send that takes tens.
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any

import aiosqlite

from bot.store import deliveries as store
from bot.store.database import Database

GATHER_S = 0.010
Current = tuple[int | None, int | None]  # (text_id, message_id) of a row when marked


class MarkWriter:
    """Commits ``sending`` and ``sent`` records in groups (see the module)."""

    def __init__(self, db: Database, owner: str, lease_s: float, patience_s: float) -> None:
        self.db = db
        self.owner = owner
        self.lease_s = lease_s
        self.patience_s = patience_s
        self._sending: list[tuple[int, asyncio.Future[Current | None]]] = []
        self._sent: list[tuple[tuple[int, int | None, int | None], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._last = -1.0  # time.monotonic() when the last commit ended
        self.commits = 0

    async def sending(self, row_id: int) -> Current | None:
        """Record that a send of ``row_id`` starts; its (text_id, message_id), or None
        when the row is no longer ours to send (lease lost, cancelled)."""
        future: asyncio.Future[Current | None] = asyncio.get_running_loop().create_future()
        self._sending.append((row_id, future))
        self._start()
        return await future

    async def sent(self, row_id: int, message_id: int | None, text_id: int | None) -> None:
        """Record a part Telegram accepted (see :func:`bot.store.deliveries.mark_sent`)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sent.append(((row_id, message_id, text_id), future))
        self._start()
        await future

    async def flushed(self) -> None:
        """Wait until every record handed over is committed (or failed)."""
        while self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)

    def _start(self) -> None:
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())

    async def _commit(
        self,
        conn: aiosqlite.Connection,
        ids: list[int],
        marks: list[tuple[int, int | None, int | None]],
    ) -> dict[int, Current]:
        if marks:
            await store.mark_sent_many(conn, marks)
        if not ids:
            return {}
        until = time.time() + self.lease_s
        return await store.mark_sending_many(conn, ids, self.owner, until)

    @staticmethod
    def _waiters(
        sending: list[tuple[int, asyncio.Future[Current | None]]],
        sent: list[tuple[tuple[int, int | None, int | None], asyncio.Future[None]]],
    ) -> list[asyncio.Future[Any]]:
        return [f for _, f in sending] + [f for _, f in sent]

    async def _flush(self) -> None:
        sending: list[tuple[int, asyncio.Future[Current | None]]] = []
        sent: list[tuple[tuple[int, int | None, int | None], asyncio.Future[None]]] = []
        try:
            while self._sending or self._sent:
                wait = self._last + GATHER_S - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                sending, self._sending = self._sending, []
                sent, self._sent = self._sent, []
                ids = [row_id for row_id, _ in sending]
                marks = [mark for mark, _ in sent]
                try:
                    found = await self.db.write(
                        functools.partial(self._commit, ids=ids, marks=marks),
                        patience_s=self.patience_s,
                    )
                except Exception as exc:
                    for waiter in self._waiters(sending, sent):
                        if not waiter.done():
                            waiter.set_exception(exc)
                    continue
                self.commits += 1
                self._last = time.monotonic()
                for row_id, future in sending:
                    if not future.done():
                        future.set_result(found.get(row_id))
                for _, done in sent:
                    if not done.done():
                        done.set_result(None)
                sending, sent = [], []
        finally:
            self._flusher = None
            # Cancelled mid-commit, or while gathering: no record is left waiting.
            waiting = self._waiters(sending, sent) + self._waiters(self._sending, self._sent)
            self._sending, self._sent = [], []
            for waiter in waiting:
                waiter.cancel()
