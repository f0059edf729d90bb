"""The delivery outbox: one row per (chat, message part) to send.

Rows start ``pending``; the sender (bot.delivery) leases them (``sending``,
``lease_owner``/``lease_until``), then records ``sent`` with Telegram's
``message_id`` or ``failed`` with ``last_error``. ``not_before`` holds a row
back (a chat's delivery time, a retry backoff). Times are UTC
``YYYY-MM-DD HH:MM:SS`` strings, comparable with SQLite's ``datetime('now')``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import aiosqlite

from bot.store.base import utc_now

STATUSES = ("pending", "sending", "sent", "failed", "cancelled")  # the outbox CHECK constraint


@dataclass(frozen=True, slots=True)
class OutboxPart:
    chat_id: int
    part_no: int
    text: str
    not_before: str | None = None


async def enqueue(
    conn: aiosqlite.Connection,
    issue_id: int,
    parts: Iterable[OutboxPart],
    revision_id: int | None = None,
) -> int:
    """Add pending rows for these parts; returns how many were added."""
    now = utc_now()
    cursor = await conn.executemany(
        "INSERT INTO outbox (issue_id, revision_id, chat_id, part_no, text, not_before,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((issue_id, revision_id, p.chat_id, p.part_no, p.text, p.not_before, now) for p in parts),
    )
    return max(cursor.rowcount, 0)


async def count_by_status(
    conn: aiosqlite.Connection, issue_id: int | None = None
) -> dict[str, int]:
    """Outbox rows per status (every status present), for one issue or all."""
    counts = dict.fromkeys(STATUSES, 0)
    sql = "SELECT status, count(*) FROM outbox"
    params: tuple[int, ...] = ()
    if issue_id is not None:
        sql += " WHERE issue_id = ?"
        params = (issue_id,)
    async with conn.execute(sql + " GROUP BY status", params) as cursor:
        for status, n in await cursor.fetchall():
            counts[str(status)] = int(n)
    return counts
