"""What the outbox holds, for `bot deliveries`, `bot stats` and `bot publish --wait`."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.store.base import utc_now
from bot.store.outbox import STATUSES


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    issue_date: str
    chat_id: int | None  # None: an e-mail row (``address`` names the subscriber)
    chat_title: str | None
    part_no: int
    status: str
    attempts: int
    not_before: str | None
    last_error: str | None
    edit: bool
    action: str = "send"  # delete / edit: withdrawing an unpublished issue
    channel: str = "telegram"  # telegram | email
    address: str | None = None  # the e-mail subscriber's address


@dataclass(frozen=True, slots=True)
class IssueProgress:
    sent: int
    pending: int  # pending or sending, due now
    scheduled: int  # pending, waiting for a delivery time
    failed: int
    cancelled: int
    next_due: str | None


async def list_open(
    conn: aiosqlite.Connection, *, failed_only: bool = False, limit: int = 200
) -> tuple[list[DeliveryRow], int]:
    """Pending/sending/failed rows (only failed ones with ``failed_only``), oldest first,
    at most ``limit``; plus how many there are in total."""
    statuses = ("failed",) if failed_only else ("pending", "sending", "failed")
    marks = ",".join("?" * len(statuses))
    async with conn.execute(
        f"SELECT count(*) FROM outbox WHERE status IN ({marks})", statuses
    ) as cur:
        row = await cur.fetchone()
    total = int(row[0]) if row else 0
    async with conn.execute(
        "SELECT o.id, coalesce(i.date, u.date), o.chat_id, c.title, o.part_no, o.status,"
        " o.attempts, o.not_before, o.last_error, o.message_id IS NOT NULL, o.action,"
        " o.channel, s.address"
        " FROM outbox o LEFT JOIN issues i ON i.id = o.issue_id"
        " LEFT JOIN email_subscribers s ON s.id = o.subscriber_id"
        " LEFT JOIN unpublished_issues u ON u.id = o.unpublished_id"
        " LEFT JOIN chats c ON c.id = o.chat_id"
        f" WHERE o.status IN ({marks}) ORDER BY o.status = 'failed' DESC, o.id LIMIT ?",
        (*statuses, limit),
    ) as cur:
        rows = [
            DeliveryRow(
                int(r[0]),
                str(r[1]),
                None if r[2] is None else int(r[2]),
                r[3],
                int(r[4]),
                str(r[5]),
                int(r[6]),
                r[7],
                r[8],
                bool(r[9]),
                str(r[10]),
                str(r[11]),
                None if r[12] is None else str(r[12]),
            )
            for r in await cur.fetchall()
        ]
    return rows, total


async def requeue_failed(conn: aiosqlite.Connection) -> int:
    """Failed rows back to pending, due now; returns how many. An e-mail row is
    requeued only while its subscriber is confirmed (a 5xx bounce is never retried)."""
    cur = await conn.execute(
        "UPDATE outbox SET status = 'pending', not_before = ?, lease_owner = NULL,"
        " lease_until = NULL, failing_since = NULL WHERE status = 'failed'"
        " AND (channel = 'telegram' OR subscriber_id IN"
        " (SELECT id FROM email_subscribers WHERE status = 'confirmed'))",
        (utc_now(),),
    )
    return cur.rowcount


async def issue_progress(conn: aiosqlite.Connection, issue_id: int) -> IssueProgress:
    now = utc_now()
    async with conn.execute(
        "SELECT sum(status = 'sent'),"
        " sum(status IN ('pending', 'sending') AND (not_before IS NULL OR not_before <= ?)),"
        " sum(status = 'pending' AND not_before > ?), sum(status = 'failed'),"
        " sum(status = 'cancelled'),"
        " min(CASE WHEN status = 'pending' AND not_before > ? THEN not_before END)"
        " FROM outbox WHERE issue_id = ?",
        (now, now, now, issue_id),
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    sent, pending, scheduled, failed, cancelled = (int(v or 0) for v in row[:5])
    return IssueProgress(sent, pending, scheduled, failed, cancelled, row[5])


async def per_issue(
    conn: aiosqlite.Connection, limit: int = 10, channel: str = "telegram"
) -> list[tuple[str, dict[str, int]]]:
    """The latest issues with outbox rows of ``channel``: date → rows per status."""
    async with conn.execute(
        "SELECT i.date, o.status, count(*) FROM outbox o JOIN issues i ON i.id = o.issue_id"
        " WHERE o.channel = ? AND o.issue_id IN (SELECT DISTINCT issue_id FROM outbox"
        " WHERE channel = ? ORDER BY issue_id DESC LIMIT ?)"
        " GROUP BY i.date, o.status ORDER BY i.date DESC",
        (channel, channel, limit),
    ) as cur:
        found: dict[str, dict[str, int]] = {}
        for date, status, n in await cur.fetchall():
            found.setdefault(str(date), dict.fromkeys(STATUSES, 0))[str(status)] = int(n)
    return list(found.items())


async def email_subscribers(conn: aiosqlite.Connection) -> dict[str, int]:
    """E-mail subscribers per status (every status present; all 0 when there are none)."""
    counts = dict.fromkeys(("confirmed", "unconfirmed", "unsubscribed", "bounced", "complained"), 0)
    async with conn.execute(
        "SELECT status, count(*) FROM email_subscribers GROUP BY status"
    ) as cur:
        for status, n in await cur.fetchall():
            counts[str(status)] = int(n)
    return counts


async def failure_reasons(
    conn: aiosqlite.Connection, status: str = "failed"
) -> list[tuple[str, int]]:
    """Why rows are ``status`` (failed, or cancelled), most frequent first; an e-mail
    row's reason starts with ``e-mail:``."""
    async with conn.execute(
        "SELECT CASE channel WHEN 'email' THEN 'e-mail: ' ELSE '' END"
        " || coalesce(last_error, 'no reason recorded'), count(*) FROM outbox"
        " WHERE status = ? GROUP BY 1 ORDER BY count(*) DESC, 1",
        (status,),
    ) as cur:
        return [(str(r[0]), int(r[1])) for r in await cur.fetchall()]


async def subscribers(conn: aiosqlite.Connection) -> dict[str, int]:
    """Chats per status and type, the `BOT_CHANNEL` row left out."""
    async with conn.execute(
        "SELECT status, count(*) FROM chats WHERE type != 'channel' GROUP BY status"
    ) as cur:
        counts = {"active": 0, "paused": 0, "blocked": 0}
        for status, n in await cur.fetchall():
            counts[str(status)] = int(n)
    async with conn.execute(
        "SELECT type, count(*) FROM chats WHERE type != 'channel' AND status = 'active'"
        " GROUP BY type"
    ) as cur:
        for kind, n in await cur.fetchall():
            counts[f"active {kind}"] = int(n)
    return counts


async def _one(
    conn: aiosqlite.Connection, sql: str, params: tuple[object, ...] = ()
) -> aiosqlite.Row | None:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


async def _all(
    conn: aiosqlite.Connection, sql: str, params: tuple[object, ...] = ()
) -> list[aiosqlite.Row]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def next_not_before(conn: aiosqlite.Connection, after: str) -> str | None:
    """The earliest ``not_before`` later than ``after`` among pending outbox rows."""
    row = await _one(
        conn,
        "SELECT min(not_before) FROM outbox WHERE status = 'pending' AND not_before > ?",
        (after,),
    )
    return None if row is None or row[0] is None else str(row[0])


async def open_issue_ids(conn: aiosqlite.Connection) -> set[int]:
    """Issues with deliveries still pending or being sent."""
    rows = await _all(
        conn,
        "SELECT DISTINCT issue_id FROM outbox WHERE status IN ('pending', 'sending')"
        " AND issue_id IS NOT NULL",
    )
    return {int(r[0]) for r in rows}


async def delivery_counts(
    conn: aiosqlite.Connection, issue_ids: set[int]
) -> dict[int, tuple[str, dict[str, int]]]:
    """Per issue: its date and how many outbox rows are in each status."""
    out: dict[int, tuple[str, dict[str, int]]] = {}
    for issue_id in sorted(issue_ids):
        rows = await _all(
            conn,
            "SELECT i.date, o.status, count(*) FROM issues i LEFT JOIN outbox o"
            " ON o.issue_id = i.id WHERE i.id = ? GROUP BY o.status",
            (issue_id,),
        )
        for date, status, n in rows:
            counts = out.setdefault(issue_id, (str(date), {}))[1]
            if status is not None:
                counts[str(status)] = int(n)
    return out


async def issues_enqueued_after(conn: aiosqlite.Connection, row_id: int) -> tuple[set[int], int]:
    """Issues with outbox rows newer than ``row_id``, and the newest row id now."""
    rows = await _all(
        conn,
        "SELECT DISTINCT issue_id FROM outbox WHERE id > ? AND issue_id IS NOT NULL",
        (row_id,),
    )
    issues = {int(r[0]) for r in rows}
    row = await _one(conn, "SELECT coalesce(max(id), 0) FROM outbox")
    return issues, int(row[0]) if row else 0
