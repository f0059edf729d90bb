"""One attempt at a chat's next part: its records, the call, and what the answer means.

The sender (:mod:`bot.delivery.sender`) decides which chat goes next and when; here a
send is made: its ``sending`` record committed first, then the call (a new message, an
edit, a delete), then its ``sent`` record (:mod:`bot.delivery.marks`). What Telegram's
refusal (or its silence) means is decided here too: a 429 pauses the chat for
its ``retry_after`` (and, from several chats at once, every send: AIMD), a transient
error is retried with backoff until the policy gives up, a send without an answer is
recorded as uncertain and resent later (counted as a possible duplicate), a migrated
group moves its rows, a chat that blocked the bot has its rows cancelled, a refused
token stops the sender. Each outcome is recorded in the database before the chat goes
on, so a crash loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import replace
from typing import Protocol, TypeVar

from bot.delivery.client import DigestClient
from bot.delivery.errors import Failure, Kind, classify
from bot.delivery.marks import MarkWriter
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.state import ChatQueue, SenderOptions, Tally
from bot.store import deliveries as store
from bot.store.database import Action, Database
from bot.store.deliveries import Job

log = logging.getLogger("bot.delivery")
T = TypeVar("T")
BUSY_PATIENCE_S = 60.0


class Chats(Protocol):
    """What an outcome does to the chat's place in the sender's schedule."""

    def next(self, queue: ChatQueue, delay: float = 0.0) -> None:
        """The head job is done: the chat's next one (if any) after ``delay``."""

    def again(self, queue: ChatQueue, delay: float = 0.0) -> None:
        """The head job is tried again after ``delay``."""

    def drop(self, queue: ChatQueue) -> None:
        """The chat leaves the schedule (its rows are claimed afresh, or done)."""

    def stop(self, reason: str) -> None:
        """Sending cannot go on (one sentence)."""


class Attempts:
    """Makes one send of a chat's head job, records it, and reschedules the chat."""

    def __init__(
        self,
        db: Database,
        client: DigestClient,
        owner: str,
        marks: MarkWriter,
        chats: Chats,
        limiter: RateLimiter,
        options: SenderOptions,
        tally: Tally,
        rng: random.Random,
    ) -> None:
        self.db = db
        self.client = client
        self.owner = owner
        self.marks = marks
        self.chats = chats
        self.limiter = limiter
        self.options = options
        self.tally = tally
        self.rng = rng
        self.unanswered: set[int] = set()  # rows whose last send got no answer

    async def write(self, action: Action[T]) -> T:
        """One state write; while another process holds the database (a big publish),
        wait and retry rather than lose the record of a send."""
        return await self.db.write(action, patience_s=BUSY_PATIENCE_S)

    async def deliver(self, queue: ChatQueue) -> None:
        """Send the chat's head job; the chat is rescheduled (or dropped) after it."""
        job, chats = queue.jobs[0], self.chats
        current = await self.marks.sending(job.id)
        if current is None:
            # Our lease was lost, or a re-publish cancelled the row: start the chat afresh.
            await self.write(lambda c: store.release_chat(c, self.owner, queue.chat_id))
            chats.drop(queue)
            return
        text_id, message_id = current
        resend = message_id is None and job.id in self.unanswered
        self.unanswered.discard(job.id)
        text = job.text
        if text_id != job.text_id:  # a re-publish changed it since we claimed it
            text = await store.text_of(self.db.reader, job.id)
        if resend:
            # Telegram has no way to look a message up: an earlier send of this part may
            # have arrived. Sent again (at least once), and counted as a possible duplicate.
            self.tally.resent += 1
            log.info("resending after an uncertain send chat=%s row=%s", job.chat_id, job.id)
        try:
            if job.action == "delete" and message_id is not None:  # an unpublished issue
                await self.client.delete(job.target, message_id)
                self.tally.deleted += 1
            elif message_id is None:
                message_id = await self.client.send(
                    job.target, text, job.thread_id, job.preview, silent=job.silent
                )
                self.tally.sent += 1
            else:
                await self.client.edit(job.target, message_id, text, job.preview)  # idempotent
                self.tally.edited += 1
        except asyncio.CancelledError:
            if message_id is None:  # stopped mid-call (shutdown): it may have arrived
                await self.uncertain(job, "send cancelled at shutdown; outcome unknown")
            raise
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            await self.failed(queue, job, failure, message_id, text_id)
            return
        await self.marks.sent(job.id, message_id, text_id)
        if job.issue_id is not None:
            self.tally.by_issue[job.issue_id] = self.tally.by_issue.get(job.issue_id, 0) + 1
        chats.next(queue)

    def _gives_up(self, queue: ChatQueue, now: float) -> bool:
        """Transient failures end in ``failed`` only after the policy's time span."""
        if queue.failing_since is None:
            queue.failing_since = now
        return self.options.policy.gives_up(now - queue.failing_since)

    async def uncertain(self, job: Job, reason: str, delay: float = 0.0) -> None:
        """Record a send whose outcome is unknown; it is resent after a while."""
        self.tally.uncertain += 1
        self.unanswered.add(job.id)
        not_before = time.time() + max(delay, self.options.uncertain_delay_s)
        await self.write(lambda c: store.mark_uncertain(c, job.id, not_before, reason))

    async def failed(
        self,
        queue: ChatQueue,
        job: Job,
        failure: Failure,
        message_id: int | None,
        text_id: int | None,
    ) -> None:
        kind, now, reason, chats = failure.kind, time.time(), failure.reason, self.chats
        if job.action == "delete" and "can't be deleted" in reason:
            # Sent more than 48 h ago: edit it to the withdrawn note instead.
            await self.write(lambda c: store.delete_refused(c, job.id))
            queue.jobs[0] = replace(job, action="edit")
            chats.again(queue)
        elif kind is Kind.NOT_MODIFIED:
            await self.write(lambda c: store.mark_sent(c, job.id, message_id, text_id))
            chats.next(queue)
        elif kind is Kind.FLOOD:
            self.tally.floods += 1
            # This chat waits retry_after; the others go on, unless 429s come from
            # several chats at once (then every send pauses and the global rate drops).
            if self.limiter.flooded(queue.chat_id, time.monotonic(), failure.retry_after):
                log.info(
                    "flood from several chats: all paused for %ss, rate now %.1f/s",
                    failure.retry_after,
                    self.limiter.rate,
                )
            await self.write(lambda c: store.mark_retry(c, job.id, now, reason))
            chats.again(queue)
        elif kind is Kind.TRANSIENT and not self._gives_up(queue, now):
            queue.failures += 1
            delay = self.options.policy.delay(queue.failures, self.rng)
            self.tally.retried += 1
            if failure.uncertain and message_id is None:
                # The request went out, no answer came: Telegram may show it already.
                delay = max(delay, self.options.uncertain_delay_s)
                await self.uncertain(job, reason, delay)
            else:
                await self.write(lambda c: store.mark_retry(c, job.id, now + delay, reason))
            chats.again(queue, delay)
        elif kind is Kind.MIGRATED and failure.migrate_to is not None:
            # The rows now belong to the new id and are free: the next claim resends.
            new_id = failure.migrate_to
            await self.write(lambda c: store.migrate_chat(c, queue.chat_id, new_id))
            log.info("chat migrated old=%s new=%s", queue.chat_id, new_id)
            chats.drop(queue)
        elif kind is Kind.GONE:
            cancelled = await self.write(lambda c: store.chat_gone(c, queue.chat_id, reason))
            self.tally.cancelled += cancelled
            log.info("chat inactive chat=%s reason=%r", queue.chat_id, reason)
            chats.drop(queue)
        elif kind is Kind.FATAL:
            await self.write(lambda c: store.mark_retry(c, job.id, now, reason))
            chats.drop(queue)
            chats.stop(f"Telegram refused the bot token ({reason}); sending stopped")
        else:  # rejected, or transient too many times: failed with Telegram's reason
            await self.write(lambda c: store.mark_failed(c, job.id, reason))
            self.tally.failed += 1
            chats.next(queue)
