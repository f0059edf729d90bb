"""The outbox's e-mail rows (``channel = 'email'``): one per (issue, subscriber).

Enqueued by the publishing pipeline (:func:`enqueue_mail`, never a second row for a
subscriber who has one: a mail cannot be edited), leased and recorded by the e-mail
sender (bot.delivery.email_sender). A row's mail is rendered when it is sent, from the
issue's latest revision. The suppression list is checked at claim: a row whose
subscriber is not ``confirmed`` any more is cancelled with the reason, never sent.
The Telegram row functions of bot.store.deliveries that work by row id or lease owner
(``mark_sending_many``, ``mark_uncertain``, ``extend_leases``, ``release``) serve these
rows too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import aiosqlite

from bot.store.base import stamp, utc_now
from bot.store.topics import Topic

MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Recipient:
    """A confirmed subscriber as enqueueing needs it."""

    id: int
    language: str
    timezone: str | None
    delivery_time: str | None
    summary_mode: str
    topics: tuple[Topic, ...]


@dataclass(frozen=True, slots=True)
class MailJob:
    """A leased e-mail row with its subscriber."""

    id: int
    issue_id: int
    subscriber_id: int
    address: str
    language: str
    summary_mode: str
    attempts: int
    failing_since: str | None
    topics: tuple[Topic, ...] = ()


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


async def _topics_of(conn: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, list[Topic]]:
    found: dict[int, list[Topic]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        group = ids[start : start + 500]
        async with conn.execute(
            "SELECT subscriber_id, term, display, exclude FROM topics"
            f" WHERE subscriber_id IN ({_marks(group)}) ORDER BY rowid",
            tuple(group),
        ) as cur:
            async for r in cur:
                found[int(r[0])].append(Topic(str(r[1]), str(r[2]), bool(r[3])))
    return found


async def confirmed_recipients(
    conn: aiosqlite.Connection, issue_id: int | None = None
) -> list[Recipient]:
    """Every confirmed subscriber with its topics (empty = every entry), by id; with
    ``issue_id``, only those confirmed before the issue was first published."""
    sql = (
        "SELECT id, language, timezone, delivery_time, summary_mode FROM email_subscribers"
        " WHERE status = 'confirmed'"
    )
    args: tuple[int, ...] = ()
    if issue_id is not None:
        sql += (
            " AND coalesce(confirmed_at, created_at)"
            " < (SELECT published_at FROM issues WHERE id = ?)"
        )
        args = (issue_id,)
    async with conn.execute(sql + " ORDER BY id", args) as cur:
        rows = list(await cur.fetchall())
    topics: dict[int, list[Topic]] = {int(r[0]): [] for r in rows}
    async with conn.execute(
        "SELECT t.subscriber_id, t.term, t.display, t.exclude FROM topics t"
        " JOIN email_subscribers s ON s.id = t.subscriber_id WHERE s.status = 'confirmed'"
        " ORDER BY t.rowid"
    ) as cur:
        async for r in cur:
            topics[int(r[0])].append(Topic(str(r[1]), str(r[2]), bool(r[3])))
    return [
        Recipient(int(r[0]), str(r[1]), r[2], r[3], str(r[4]), tuple(topics[int(r[0])]))
        for r in rows
    ]


async def enqueue_mail(
    conn: aiosqlite.Connection,
    issue_id: int,
    revision_id: int | None,
    rows: Iterable[tuple[int, str]],
) -> int:
    """One pending row per (subscriber id, due stamp) that has none for this issue yet;
    returns how many were added."""
    now = utc_now()
    cur = await conn.executemany(
        "INSERT INTO outbox (channel, issue_id, revision_id, subscriber_id, part_no, text,"
        " not_before, created_at) VALUES ('email', ?, ?, ?, 0, '', ?, ?)"
        " ON CONFLICT (issue_id, subscriber_id) WHERE channel = 'email' DO NOTHING",
        ((issue_id, revision_id, sid, due, now) for sid, due in rows),
    )
    return max(cur.rowcount, 0)


async def claim_mail(
    conn: aiosqlite.Connection, owner: str, *, now: float, lease_s: float, limit: int
) -> list[MailJob]:
    """Lease up to ``limit`` due e-mail rows nobody else holds, oldest first (ours only
    when pending again: a row of ours marked sending is queued or being sent). Rows of
    subscribers no longer confirmed are cancelled with the reason instead; a row found
    ``sending`` (its sender died mid-send) is marked uncertain: sending it again may
    duplicate it, and is counted so."""
    now_s, until_s = stamp(now), stamp(now + lease_s)
    async with conn.execute(
        "SELECT o.id, o.issue_id, o.subscriber_id, s.address, s.language, s.summary_mode,"
        " o.attempts, o.failing_since, s.status, o.status FROM outbox o"
        " JOIN email_subscribers s ON s.id = o.subscriber_id"
        " WHERE o.channel = 'email' AND o.status IN ('pending', 'sending')"
        " AND (o.not_before IS NULL OR o.not_before <= ?)"
        " AND (o.lease_owner IS NULL OR o.lease_until < ?"
        "      OR (o.lease_owner = ? AND o.status = 'pending'))"
        " ORDER BY o.not_before, o.id LIMIT ?",
        (now_s, now_s, owner, limit),
    ) as cur:
        rows = list(await cur.fetchall())
    dropped = [(f"subscriber is {r[8]}", int(r[0])) for r in rows if r[8] != "confirmed"]
    await conn.executemany(
        "UPDATE outbox SET status = 'cancelled', last_error = ?, lease_owner = NULL,"
        " lease_until = NULL WHERE id = ?",
        dropped,
    )
    live = [r for r in rows if r[8] == "confirmed"]
    if not live:
        return []
    ids = [int(r[0]) for r in live]
    topics = await _topics_of(conn, sorted({int(r[2]) for r in live}))
    await conn.execute(
        f"UPDATE outbox SET lease_owner = ?, lease_until = ?,"
        f" uncertain_at = CASE WHEN status = 'sending' THEN coalesce(uncertain_at, ?)"
        f" ELSE uncertain_at END WHERE id IN ({_marks(ids)})",
        (owner, until_s, now_s, *ids),
    )
    return [
        MailJob(
            int(r[0]),
            int(r[1]),
            int(r[2]),
            str(r[3]),
            str(r[4]),
            str(r[5]),
            int(r[6]),
            r[7],
            tuple(topics[int(r[2])]),
        )
        for r in live
    ]


async def mark_mailed(conn: aiosqlite.Connection, row_ids: Sequence[int]) -> None:
    """The server answered 250 for these rows' mails: sent."""
    now = utc_now()
    await conn.executemany(
        "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL, lease_owner = NULL,"
        " lease_until = NULL, not_before = NULL, failing_since = NULL WHERE id = ?",
        [(now, row_id) for row_id in row_ids],
    )


async def mark_deferred(
    conn: aiosqlite.Connection, row_id: int, *, now: float, not_before: float, reason: str
) -> None:
    """A temporary failure (4xx, no connection): pending again after ``not_before``,
    the server's text kept; the lease stays with the sender."""
    await conn.execute(
        "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ?,"
        " failing_since = coalesce(failing_since, ?) WHERE id = ?",
        (stamp(not_before), reason[:MAX_REASON], stamp(now), row_id),
    )


async def mark_given_up(conn: aiosqlite.Connection, row_id: int, reason: str) -> None:
    """Failing for too long: failed (``bot deliveries --retry`` makes it pending again)."""
    await conn.execute(
        "UPDATE outbox SET status = 'failed', last_error = ?, lease_owner = NULL,"
        " lease_until = NULL WHERE id = ?",
        (reason[:MAX_REASON], row_id),
    )


async def mark_bounced(
    conn: aiosqlite.Connection, row_id: int, subscriber_id: int, reason: str
) -> None:
    """A 5xx answer: the subscriber is suppressed (``bounced``, the server's text as the
    reason), this row failed and never retried, and their other open rows cancelled."""
    now = utc_now()
    text = reason[:MAX_REASON]
    await conn.execute(
        "UPDATE email_subscribers SET status = 'bounced', reason = ?, suppressed_at = ?,"
        " updated_at = ? WHERE id = ?",
        (" ".join(text.split())[:200], now, now, subscriber_id),
    )
    await conn.execute(
        "UPDATE outbox SET status = 'failed', last_error = ?, lease_owner = NULL,"
        " lease_until = NULL WHERE id = ?",
        (text, row_id),
    )
    await conn.execute(
        "UPDATE outbox SET status = 'cancelled', last_error = ?, lease_owner = NULL,"
        " lease_until = NULL WHERE channel = 'email' AND subscriber_id = ? AND id != ?"
        " AND status IN ('pending', 'sending')",
        ("subscriber is bounced", subscriber_id, row_id),
    )


async def issue_revision(conn: aiosqlite.Connection, issue_id: int) -> tuple[str, int] | None:
    """The issue's date and latest revision id (a mail renders that revision)."""
    async with conn.execute(
        "SELECT i.date, coalesce(max(r.id), 0) FROM issues i"
        " LEFT JOIN revisions r ON r.issue_id = i.id WHERE i.id = ? GROUP BY i.id",
        (issue_id,),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


async def pending_mail(conn: aiosqlite.Connection) -> int:
    """E-mail rows still to send (pending or sending), due or not."""
    async with conn.execute(
        "SELECT count(*) FROM outbox WHERE channel = 'email' AND status IN ('pending', 'sending')"
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def mark_dropped(conn: aiosqlite.Connection, row_id: int, reason: str) -> None:
    """Not sent, and never will be (nothing matches any more, a header cannot be built)."""
    await conn.execute(
        "UPDATE outbox SET status = 'cancelled', last_error = ?, lease_owner = NULL,"
        " lease_until = NULL WHERE id = ?",
        (reason[:MAX_REASON], row_id),
    )


async def unsend(conn: aiosqlite.Connection, owner: str, row_ids: Sequence[int]) -> None:
    """Rows marked sending that were never handed to the server (an orderly stop):
    pending again, unleased, as if never claimed."""
    for start in range(0, len(row_ids), 500):
        group = row_ids[start : start + 500]
        await conn.execute(
            "UPDATE outbox SET status = 'pending', attempts = max(attempts - 1, 0),"
            " lease_owner = NULL, lease_until = NULL"
            f" WHERE lease_owner = ? AND status = 'sending' AND id IN ({_marks(group)})",
            (owner, *group),
        )
