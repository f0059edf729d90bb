"""Scheduled publishes (`bot publish FILE --at …`), fired by `bot run`.

The database is the only source of truth for schedules: `bot run` rebuilds its
jobs from ``scheduled_publishes`` on start and polls it for rows added by the CLI.
Each row moves ``pending`` → ``running`` (claimed by one daemon) → ``done`` /
``failed``, or ``pending`` → ``missed`` when it was due longer ago than the grace
period while no daemon ran. Every function runs inside the caller's write
transaction (``Database.write``) or is a plain read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

import aiosqlite

from bot.store.base import utc_now

Status = Literal["pending", "running", "done", "failed", "missed", "cancelled"]
MAX_DETAIL = 500


@dataclass(frozen=True, slots=True)
class ScheduledPublish:
    id: int
    file_name: str
    content: str
    due_at: str
    force: bool
    status: Status
    detail: str
    issue_date: str | None = None
    created_at: str = ""


_COLUMNS = "id, file_name, content, due_at, force, status, detail, issue_date, created_at"


async def _one(
    conn: aiosqlite.Connection, sql: str, params: tuple[object, ...] = ()
) -> aiosqlite.Row | None:
    """One row, with the statement closed at once: a statement left open would keep a
    read snapshot, and a later write on this connection would fail with "locked"."""
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


async def _all(
    conn: aiosqlite.Connection, sql: str, params: tuple[object, ...] = ()
) -> list[aiosqlite.Row]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


def _row(row: aiosqlite.Row | tuple[object, ...]) -> ScheduledPublish:
    id_, name, content, due, force, status, detail, issue_date, created = tuple(row)
    return ScheduledPublish(
        int(str(id_)),
        str(name),
        str(content),
        str(due),
        bool(force),
        cast(Status, status),
        str(detail),
        None if issue_date is None else str(issue_date),
        str(created),
    )


async def add_scheduled(
    conn: aiosqlite.Connection,
    *,
    file_name: str,
    content: str,
    due_at: str,
    force: bool,
    issue_date: str | None = None,
) -> int:
    """Record a publish of the issue dated ``issue_date``, due at ``due_at`` (UTC);
    return its id."""
    cur = await conn.execute(
        "INSERT INTO scheduled_publishes (file_name, content, due_at, force, created_at,"
        " issue_date) VALUES (?, ?, ?, ?, ?, ?)",
        (file_name, content, due_at, int(force), utc_now(), issue_date),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def pending_for_issue(conn: aiosqlite.Connection, issue_date: str) -> list[ScheduledPublish]:
    """The pending schedules of the issue dated ``issue_date``, soonest first."""
    rows = await _all(
        conn,
        f"SELECT {_COLUMNS} FROM scheduled_publishes"
        " WHERE issue_date = ? AND status = 'pending' ORDER BY due_at, id",
        (issue_date,),
    )
    return [_row(r) for r in rows]


async def cancel_scheduled(conn: aiosqlite.Connection, id_: int, detail: str) -> bool:
    """Cancel a pending schedule; False when it is not pending (any more)."""
    cur = await conn.execute(
        "UPDATE scheduled_publishes SET status = 'cancelled', detail = ?, finished_at = ?"
        " WHERE id = ? AND status = 'pending'",
        (detail[:MAX_DETAIL], utc_now(), id_),
    )
    return cur.rowcount == 1


async def list_scheduled(
    conn: aiosqlite.Connection, statuses: tuple[Status, ...] | None = ("pending",)
) -> list[ScheduledPublish]:
    """Rows in the given statuses (every row with None), soonest first."""
    if statuses is None:
        rows = await _all(conn, f"SELECT {_COLUMNS} FROM scheduled_publishes ORDER BY due_at, id")
        return [_row(r) for r in rows]
    marks = ",".join("?" for _ in statuses)
    rows = await _all(
        conn,
        f"SELECT {_COLUMNS} FROM scheduled_publishes WHERE status IN ({marks}) ORDER BY due_at, id",
        statuses,
    )
    return [_row(r) for r in rows]


async def get_scheduled(conn: aiosqlite.Connection, id_: int) -> ScheduledPublish | None:
    row = await _one(conn, f"SELECT {_COLUMNS} FROM scheduled_publishes WHERE id = ?", (id_,))
    return _row(row) if row else None


async def claim_scheduled(conn: aiosqlite.Connection, id_: int, owner: str) -> bool:
    """Move a pending row to running for ``owner``; False if someone else took it."""
    cur = await conn.execute(
        "UPDATE scheduled_publishes SET status = 'running', claimed_by = ?"
        " WHERE id = ? AND status = 'pending'",
        (owner, id_),
    )
    return cur.rowcount == 1


async def release_scheduled(conn: aiosqlite.Connection, id_: int) -> None:
    """Give a claimed row back to pending (its publish failed for a passing reason)."""
    await conn.execute(
        "UPDATE scheduled_publishes SET status = 'pending', claimed_by = NULL"
        " WHERE id = ? AND status = 'running'",
        (id_,),
    )


async def finish_scheduled(
    conn: aiosqlite.Connection, id_: int, status: Status, detail: str = ""
) -> None:
    await conn.execute(
        "UPDATE scheduled_publishes SET status = ?, detail = ?, finished_at = ? WHERE id = ?",
        (status, detail[:MAX_DETAIL], utc_now(), id_),
    )


async def mark_missed(conn: aiosqlite.Connection, older_than: str) -> list[ScheduledPublish]:
    """Mark pending rows due before ``older_than`` (UTC) as missed; return them."""
    rows = [
        _row(r)
        for r in await _all(
            conn,
            f"SELECT {_COLUMNS} FROM scheduled_publishes"
            " WHERE status = 'pending' AND due_at < ? ORDER BY due_at, id",
            (older_than,),
        )
    ]
    await conn.execute(
        "UPDATE scheduled_publishes SET status = 'missed', finished_at = ?,"
        " detail = 'due while no bot run was up, later than the grace period'"
        " WHERE status = 'pending' AND due_at < ?",
        (utc_now(), older_than),
    )
    return rows


async def requeue_running(conn: aiosqlite.Connection) -> int:
    """Put rows left ``running`` by a daemon that died back to pending (ingest is idempotent)."""
    cur = await conn.execute(
        "UPDATE scheduled_publishes SET status = 'pending', claimed_by = NULL"
        " WHERE status = 'running'"
    )
    return cur.rowcount
