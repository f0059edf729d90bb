"""What `bot publish` does after enqueueing: say who sends, or send right here.

`bot publish` enqueues without importing aiogram; only ``--send`` (a one-off
sender in this process, for setups without a running `bot run`) pays for it.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import aiosqlite

from bot.store.delivery_report import IssueProgress, issue_progress
from bot.store.leases import live_senders

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.delivery.enqueue import EnqueueResult
    from bot.delivery.sender import Tally


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


ALIVE_S = 30.0  # a sender heartbeats every 10 s; three missed beats and it counts as gone


async def who_sends(conn: aiosqlite.Connection) -> str | None:
    """One phrase naming the running sender(s), or None if nothing is sending."""
    found = await live_senders(conn, time.time(), ALIVE_S)
    if not found:
        return None
    owner, pid, host = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return f"the running sender {owner} (pid {pid} on {host}){more}"


async def send_here(
    settings: Settings, db_path: Path | None, issue_id: int, *, show_progress: bool
) -> tuple[Tally, IssueProgress]:
    """Drain every due row (this issue's and any other's) in the foreground."""
    from bot.delivery.client import DigestClient, open_bot
    from bot.delivery.progress import wait_drained
    from bot.delivery.ratelimit import Limits
    from bot.delivery.retry import RetryPolicy
    from bot.delivery.sender import Sender, SenderOptions
    from bot.store.database import open_database

    assert settings.token is not None
    limits = Limits(global_per_s=settings.rate)
    client = DigestClient(
        open_bot(settings.token.get_secret_value(), settings.api_base),
        paid_broadcast=limits.paid_broadcast,
    )
    owner = f"publish-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    done = asyncio.Event()
    try:
        async with open_database(db_path) as db:
            policy = RetryPolicy.for_minutes(settings.retry_for_minutes)
            sender = Sender(db, client, owner, SenderOptions(limits=limits, policy=policy))
            job = asyncio.create_task(sender.run(asyncio.Event(), until_idle=True))
            job.add_done_callback(lambda _: done.set())
            try:
                if show_progress:
                    await wait_drained(db_path, issue_id, done=done)
                tally = await job
            finally:
                if not job.done():
                    job.cancel()
                    await asyncio.gather(job, return_exceptions=True)
            return tally, await issue_progress(db.reader, issue_id)
    finally:
        await client.close()


def describe_queued(queued: EnqueueResult, sender: str | None, dry_run: bool) -> list[str]:
    """What `bot publish` says about delivery, in a few lines."""
    would = "would be " if dry_run else ""
    lines = [
        f"Delivery: {_n(queued.rows_added, 'new message')} and {_n(queued.edits, 'edit')}"
        f" {would}queued"
        f" for {_n(queued.chats, 'chat')} ({_n(queued.renders, 'distinct digest')} rendered)."
    ]
    if queued.updated:
        lines.append(f"{_n(queued.updated, 'part')} not sent yet will go out in the new version.")
    if queued.cancelled:
        lines.append(f"{_n(queued.cancelled, 'part')} not sent yet dropped by the revision.")
    if queued.deferred:
        lines.append(
            f"{_n(queued.deferred, 'chat')} {'waits' if queued.deferred == 1 else 'wait'}"
            " for a delivery time or the end of quiet hours."
        )
    if not dry_run:
        if sender is not None:
            lines.append(f"Delivered by {sender}.")
        else:
            lines.append(
                "No sender is running (no `bot run`): use `bot publish --send` or start `bot run`."
            )
    return lines


def describe_sent(tally: Tally, progress: IssueProgress | None) -> str:
    deleted = f", deleted {_n(tally.deleted, 'message')}" if tally.deleted else ""
    line = (
        f"Sent {_n(tally.sent, 'message')} and {_n(tally.edited, 'edit')}{deleted};"
        f" {tally.failed} failed, {tally.cancelled} cancelled (blocked chats),"
        f" {tally.floods} flood waits."
    )
    if progress is not None and progress.scheduled:
        line += (
            f" {progress.scheduled} wait for their chats' delivery time"
            f" (first at {progress.next_due} UTC)."
        )
    if tally.uncertain:
        line += (
            f" {tally.uncertain} sends got no answer; {tally.resent} of them were sent"
            " again (possible duplicates)."
        )
    if tally.failed:
        line += " See `bot deliveries --failed`."
    return line


def describe_progress(progress: IssueProgress) -> str:
    line = f"Delivered {_n(progress.sent, 'message')}; {progress.failed} failed."
    if progress.scheduled:
        line += (
            f" {progress.scheduled} wait for their chats' delivery time"
            f" (first at {progress.next_due} UTC)."
        )
    return line
