"""The e-mail sender: drains the outbox's e-mail rows through ONE SMTP pool, losing nothing.

Public API (what `bot run` wires in)::

    mailer = Mailer.from_settings(settings, pool_size=4)
    options = EmailOptions.for_minutes(settings.mail_retry_for_minutes)
    sender = EmailSender(db, mailer, options)
    tally = await sender.run(stop_event)   # returns after stop_event is set
    await mailer.close()

:meth:`EmailSender.run` loops until ``stop`` is set: it claims due rows under a lease
(about a second of sending at ``BOT_MAIL_RATE``), records them ``sending`` in one
transaction, renders and sends each (:func:`bot.delivery.email_bytes.digest_bytes`, the
bytes of :func:`bot.delivery.email_message.digest_message`, cached per topic set) with
``workers`` concurrent sends through the mailer's pool — whose rate limiter is the one
``BOT_MAIL_RATE`` for all of them, counted when the server answers — and records each
outcome (committed together every ``commit_every_s``):

- 250 → ``sent``, and only then;
- 4xx or no connection → pending again after a backoff, the server's text kept; after
  ``BOT_MAIL_RETRY_FOR_MINUTES`` of failing → ``failed`` (``bot deliveries --retry``);
- a connection lost after DATA (the mail may have arrived) → pending again, marked
  uncertain: the next send counts as a possible duplicate (``resent``), as on Telegram;
- 5xx → the subscriber is suppressed (``bounced``, reason = the server's text), the row
  ``failed``, never retried.

On stop, sends in progress finish and rows not yet handed to the server go back to
pending. A SIGKILL leaves at most the rows in flight ``sending``: they are sent again
once their lease expires (duplicates ≤ in flight; the Message-ID is the same, so a
receiver can drop the copy). :meth:`send_due` is one claim-send-record round (tests,
`bot email test`-like one-shot sends).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from bot.delivery.email_bytes import digest_bytes
from bot.delivery.email_message import MailCache, Reader, reader_topics
from bot.delivery.email_state import EmailOptions, MailTally
from bot.digest.model import Issue
from bot.mail.mailer import Mailer
from bot.mail.message import HeaderError
from bot.mail.smtp import Outcome
from bot.render.digest import Tags
from bot.store import deliveries, email_outbox
from bot.store.base import parse_stamp
from bot.store.database import Database
from bot.store.email_outbox import MailJob
from bot.store.entry_topics import issue_tags
from bot.store.issues import get_issue

__all__ = ["EmailOptions", "EmailSender", "MailTally"]

log = logging.getLogger("bot.delivery.email")
REFILL_S = 0.05  # how often run() looks whether the queue needs more rows


@dataclass(slots=True)
class _Result:
    job: MailJob
    outcome: Outcome | None  # None: dropped before sending (``reason``)
    reason: str = ""


def _owner() -> str:
    return f"email:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _answer(outcome: Outcome) -> str:
    return f"{outcome.code} {outcome.text}" if outcome.code else outcome.text


class EmailSender:
    """Sends the outbox's due e-mail rows through ``mailer`` (see the module doc)."""

    def __init__(
        self,
        db: Database,
        mailer: Mailer,
        options: EmailOptions | None = None,
        *,
        owner: str | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.mailer = mailer
        self.options = options or EmailOptions()
        self.owner = owner or _owner()
        self.clock = clock
        self.rng = rng or random.Random()
        self.tally = MailTally()
        self.cache = MailCache()
        self._issues: dict[int, tuple[int, Issue, Tags]] = {}
        self._results: list[_Result] = []

    def _batch(self) -> int:
        rate = self.mailer.pool.rate
        size = math.ceil(rate * self.options.window_s)
        return max(self.options.min_batch, min(self.options.max_batch, size))

    async def run(self, stop: asyncio.Event) -> MailTally:
        """Send until ``stop`` is set; then finish the sends in progress, give back the
        rest, and return what this run did. The workers keep sending while the next
        rows are claimed (when less than half a claim is left), so the pool never idles
        between claims."""
        queue: asyncio.Queue[MailJob | None] = asyncio.Queue()
        done = asyncio.Event()
        flusher = asyncio.create_task(self._flush_loop(done))
        workers = [
            asyncio.create_task(self._serve(queue)) for _ in range(max(1, self.options.workers))
        ]
        left: list[int] = []
        try:
            while not stop.is_set():
                wait = REFILL_S
                if queue.qsize() <= self._batch() // 2 and not await self._claim_into(queue):
                    wait = self.options.idle_poll_s if queue.empty() else REFILL_S
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
        finally:
            while not queue.empty():
                job = queue.get_nowait()
                if job is not None:
                    left.append(job.id)
            for _ in workers:
                queue.put_nowait(None)
            await asyncio.gather(*workers, return_exceptions=True)
            done.set()  # never cancelled mid-write: a record taken is a record committed
            await flusher
            await self._flush(left)
            await self.db.write(lambda conn: deliveries.release(conn, self.owner))
        return self.tally

    async def _serve(self, queue: asyncio.Queue[MailJob | None]) -> None:
        while (job := await queue.get()) is not None:
            result = await self._send(job)  # not self._results.append(await …): the
            self._results.append(result)  # list is swapped by _flush while we wait

    async def _claim_into(self, queue: asyncio.Queue[MailJob | None]) -> int:
        """Claim the rows due now, mark them sending and queue them; how many claimed."""
        now = self.clock()
        jobs = await self.db.write(
            lambda conn: email_outbox.claim_mail(
                conn, self.owner, now=now, lease_s=self.options.lease_s, limit=self._batch()
            )
        )
        if not jobs:
            return 0
        ids = [job.id for job in jobs]
        until = now + self.options.lease_s
        ours = await self.db.write(
            lambda conn: deliveries.mark_sending_many(conn, ids, self.owner, until)
        )
        loaded = {i: await self._load(i) for i in {job.issue_id for job in jobs}}
        for job in jobs:
            if job.id in ours and loaded[job.issue_id]:
                queue.put_nowait(job)
        return len(jobs)

    async def send_due(self) -> int:
        """One round: claim the rows due now, send them all, record every outcome;
        returns how many rows were claimed (0: nothing due)."""
        queue: asyncio.Queue[MailJob | None] = asyncio.Queue()
        claimed = await self._claim_into(queue)
        if not claimed:
            return 0
        done = asyncio.Event()
        flusher = asyncio.create_task(self._flush_loop(done))
        workers = max(1, self.options.workers)
        for _ in range(workers):
            queue.put_nowait(None)
        try:
            await asyncio.gather(*(self._serve(queue) for _ in range(workers)))
        finally:
            done.set()
            await flusher
            await self._flush()
        return claimed

    async def _load(self, issue_id: int) -> bool:
        found = await email_outbox.issue_revision(self.db.reader, issue_id)
        if found is None:
            return False  # unpublished meanwhile: its rows are gone
        date, revision = found
        known = self._issues.get(issue_id)
        if known is None or known[0] != revision:
            stored = await get_issue(self.db.reader, date)
            if stored is None:
                return False
            tags = await issue_tags(self.db.reader, issue_id)
            self._issues[issue_id] = (revision, stored.issue, tags)
        return True

    async def _send(self, job: MailJob) -> _Result:
        revision, issue, tags = self._issues[job.issue_id]
        reader = Reader(
            job.subscriber_id,
            job.address,
            job.language,
            job.summary_mode,
            reader_topics(job.topics),
        )
        try:
            mail = digest_bytes(
                issue, reader, self.mailer, revision=revision, tags=tags, cache=self.cache
            )
        except HeaderError as exc:
            return _Result(job, None, f"the mail cannot be built: {exc}")
        if mail is None:
            return _Result(job, None, "no entry matches the subscriber's topics any more")
        signer = self.mailer.signer
        data = signer.sign(mail.data) if signer is not None else mail.data
        outcome = await self.mailer.pool.send(data, mail.envelope_sender, mail.recipient)
        return _Result(job, outcome)

    async def _flush_loop(self, done: asyncio.Event) -> None:
        last_extend = self.clock()
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), self.options.commit_every_s)
            await self._flush()
            if self.clock() - last_extend > self.options.lease_s / 3:
                last_extend = self.clock()
                await self._extend(last_extend + self.options.lease_s)

    async def _extend(self, until: float) -> None:
        await self.db.write(lambda conn: deliveries.extend_leases(conn, self.owner, until))

    async def _flush(self, unsent: list[int] | None = None) -> None:
        results, self._results = self._results, []
        if not results and not unsent:
            return
        now = self.clock()
        sent = [r.job.id for r in results if r.outcome is not None and r.outcome.sent]
        others = [r for r in results if r.outcome is None or not r.outcome.sent]

        async def record(conn: aiosqlite.Connection) -> None:
            await email_outbox.mark_mailed(conn, sent)
            for result in others:
                await self._record(conn, result, now)
            if unsent:
                await email_outbox.unsend(conn, self.owner, unsent)

        await self.db.write(record)
        self.tally.sent += len(sent)

    async def _record(self, c: aiosqlite.Connection, result: _Result, now: float) -> None:
        job, outcome = result.job, result.outcome
        if outcome is None:
            self.tally.dropped += 1
            await email_outbox.mark_dropped(c, job.id, result.reason)
            return
        answer = _answer(outcome)
        if outcome.status == "bounce":
            self.tally.bounced += 1
            log.info("mail to subscriber %s refused: %s", job.subscriber_id, answer)
            await email_outbox.mark_bounced(c, job.id, job.subscriber_id, answer)
            return
        if outcome.uncertain:
            self.tally.uncertain += 1
            retry_at = now + self.options.uncertain_delay_s
            await deliveries.mark_uncertain(c, job.id, retry_at, answer)
            return
        since = now if job.failing_since is None else _epoch(job.failing_since)
        if self.options.policy.gives_up(now - since):
            self.tally.given_up += 1
            minutes = round(self.options.policy.give_up_after_s / 60)
            reason = f"gave up after {minutes} min of temporary failures: {answer}"
            await email_outbox.mark_given_up(c, job.id, reason)
            return
        self.tally.retried += 1
        delay = self.options.policy.delay(job.attempts + 1, self.rng)
        await email_outbox.mark_deferred(c, job.id, now=now, not_before=now + delay, reason=answer)


def _epoch(stamp_text: str) -> float:
    return parse_stamp(stamp_text).timestamp()
