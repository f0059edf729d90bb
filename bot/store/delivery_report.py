"""What the outbox holds, for `bot deliveries`, `bot stats` and `bot publish --wait`."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.store.db import utc_now
from bot.store.outbox import STATUSES


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    issue_date: str
    chat_id: int
    chat_title: str | None
    part_no: int
    status: str
    attempts: int
    not_before: str | None
    last_error: str | None
    edit: bool


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
        "SELECT o.id, i.date, o.chat_id, c.title, o.part_no, o.status, o.attempts,"
        " o.not_before, o.last_error, o.message_id IS NOT NULL FROM outbox o"
        " JOIN issues i ON i.id = o.issue_id LEFT JOIN chats c ON c.id = o.chat_id"
        f" WHERE o.status IN ({marks}) ORDER BY o.status = 'failed' DESC, o.id LIMIT ?",
        (*statuses, limit),
    ) as cur:
        rows = [
            DeliveryRow(
                int(r[0]),
                str(r[1]),
                int(r[2]),
                r[3],
                int(r[4]),
                str(r[5]),
                int(r[6]),
                r[7],
                r[8],
                bool(r[9]),
            )
            for r in await cur.fetchall()
        ]
    return rows, total


async def requeue_failed(conn: aiosqlite.Connection) -> int:
    """Failed rows back to pending, due now; returns how many."""
    cur = await conn.execute(
        "UPDATE outbox SET status = 'pending', not_before = ?, lease_owner = NULL,"
        " lease_until = NULL WHERE status = 'failed'",
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
    conn: aiosqlite.Connection, limit: int = 10
) -> list[tuple[str, dict[str, int]]]:
    """The latest issues with outbox rows: date → rows per status."""
    async with conn.execute(
        "SELECT i.date, o.status, count(*) FROM outbox o JOIN issues i ON i.id = o.issue_id"
        " WHERE o.issue_id IN (SELECT DISTINCT issue_id FROM outbox ORDER BY issue_id DESC"
        " LIMIT ?) GROUP BY i.date, o.status ORDER BY i.date DESC",
        (limit,),
    ) as cur:
        found: dict[str, dict[str, int]] = {}
        for date, status, n in await cur.fetchall():
            found.setdefault(str(date), dict.fromkeys(STATUSES, 0))[str(status)] = int(n)
    return list(found.items())


async def failure_reasons(conn: aiosqlite.Connection, limit: int = 10) -> list[tuple[str, int]]:
    """Why rows failed or were cancelled, most frequent first."""
    async with conn.execute(
        "SELECT last_error, count(*) FROM outbox WHERE status IN ('failed', 'cancelled')"
        " AND last_error IS NOT NULL GROUP BY last_error ORDER BY count(*) DESC LIMIT ?",
        (limit,),
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
