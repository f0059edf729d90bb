"""Queueing an issue's e-mails: one outbox row per confirmed subscriber it concerns.

Called by :func:`bot.delivery.enqueue.enqueue_issue`'s caller, the publishing pipeline,
in the same transaction as the ingest. A subscriber whose topics match at least one
entry gets one row (``channel = 'email'``), due at once or at their delivery time in
their time zone (:func:`bot.delivery.timing.next_delivery`, as for chats). Nothing is
rendered here: a row renders the issue's latest revision when it is sent, so a
re-publish before then simply sends the edited issue — and a subscriber who already has
a row for the issue (sent or not) never gets a second one: a mail cannot be edited.
Subscribers who confirm after the publication do not get the old issue.
"""

from __future__ import annotations

from datetime import UTC, datetime

import aiosqlite

from bot.delivery.timing import next_delivery
from bot.digest.model import Issue
from bot.store.base import to_stamp
from bot.store.email_outbox import confirmed_recipients, enqueue_mail
from bot.store.entry_topics import issue_tags
from bot.topics.filter import entry_matches


async def enqueue_mail_issue(
    conn: aiosqlite.Connection,
    issue_id: int,
    issue: Issue,
    *,
    default_tz: str,
    revision_id: int | None = None,
    first: bool = True,
    now: datetime | None = None,
) -> int:
    """Add the e-mail rows of ``issue``; returns how many were added. ``first``: its
    first publication (else a re-publish, which adds none for later subscribers)."""
    moment = now or datetime.now(UTC)
    now_s = to_stamp(moment)
    tags = await issue_tags(conn, issue_id)
    wanted: dict[tuple[tuple[str, ...], tuple[str, ...]], bool] = {}
    due: dict[tuple[str, str | None], str] = {}
    rows: list[tuple[int, str]] = []
    for reader in await confirmed_recipients(conn, None if first else issue_id):
        topics = (
            tuple(t.term for t in reader.topics if not t.exclude),
            tuple(t.term for t in reader.topics if t.exclude),
        )
        if topics not in wanted:
            wanted[topics] = any(
                entry_matches(e, topics[0], topics[1], tags.get(e.key, frozenset()))
                for e in issue.entries
            )
        if not wanted[topics]:
            continue
        slot = (reader.timezone or default_tz, reader.delivery_time)
        if slot not in due:
            due[slot] = max(to_stamp(next_delivery(moment, slot[0], slot[1])), now_s)
        rows.append((reader.id, due[slot]))
    return await enqueue_mail(conn, issue_id, revision_id, rows)
