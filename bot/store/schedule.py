"""Scheduled publishes (`bot publish FILE --at …`) and the `bot run` single-instance lease.

The database is the only source of truth for schedules: `bot run` rebuilds its
jobs from ``scheduled_publishes`` on start and polls it for rows added by the CLI.
Each row moves ``pending`` → ``running`` (claimed by one daemon) → ``done`` /
``failed``, or ``pending`` → ``missed`` when it was due longer ago than the grace
period while no daemon ran. Times are UTC ``YYYY-MM-DD HH:MM:SS`` like the rest
of the store.

``daemon_lease`` holds one row per lease name: who runs (owner id, pid, host) and
when it last said so (``heartbeat``, epoch seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

import aiosqlite

from bot.store.db import transaction, utc_now

MIGRATION_NAME = "0006_scheduled_publishes_daemon_lease"
MIGRATION_SQL = (
    """CREATE TABLE scheduled_publishes (
        id INTEGER PRIMARY KEY,
        file_name TEXT NOT NULL,
        content TEXT NOT NULL,
        due_at TEXT NOT NULL,
        force INTEGER NOT NULL DEFAULT 0 CHECK (force IN (0, 1)),
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'running', 'done', 'failed', 'missed', 'cancelled')),
        detail TEXT NOT NULL DEFAULT '',
        claimed_by TEXT,
        created_at TEXT NOT NULL,
        finished_at TEXT
    )""",
    "CREATE INDEX scheduled_publishes_by_status ON scheduled_publishes (status, due_at)",
    """CREATE TABLE daemon_lease (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        acquired_at TEXT NOT NULL,
        heartbeat REAL NOT NULL
    )""",
)

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


@dataclass(frozen=True, slots=True)
class LeaseHolder:
    owner: str
    pid: int
    host: str
    acquired_at: str
    heartbeat: float


_COLUMNS = "id, file_name, content, due_at, force, status, detail"


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
    id_, name, content, due, force, status, detail = tuple(row)
    return ScheduledPublish(
        int(str(id_)),
        str(name),
        str(content),
        str(due),
        bool(force),
        cast(Status, status),
        str(detail),
    )


async def add_scheduled(
    conn: aiosqlite.Connection, *, file_name: str, content: str, due_at: str, force: bool
) -> int:
    """Record a publish due at ``due_at`` (UTC); return its id."""
    async with transaction(conn):
        cur = await conn.execute(
            "INSERT INTO scheduled_publishes (file_name, content, due_at, force, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (file_name, content, due_at, int(force), utc_now()),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid


async def list_scheduled(
    conn: aiosqlite.Connection, statuses: tuple[Status, ...] = ("pending",)
) -> list[ScheduledPublish]:
    """Rows in the given statuses, soonest first."""
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
    async with transaction(conn):
        cur = await conn.execute(
            "UPDATE scheduled_publishes SET status = 'running', claimed_by = ?"
            " WHERE id = ? AND status = 'pending'",
            (owner, id_),
        )
        return cur.rowcount == 1


async def release_scheduled(conn: aiosqlite.Connection, id_: int) -> None:
    """Give a claimed row back to pending (its publish failed for a passing reason)."""
    async with transaction(conn):
        await conn.execute(
            "UPDATE scheduled_publishes SET status = 'pending', claimed_by = NULL"
            " WHERE id = ? AND status = 'running'",
            (id_,),
        )


async def finish_scheduled(
    conn: aiosqlite.Connection, id_: int, status: Status, detail: str = ""
) -> None:
    async with transaction(conn):
        await conn.execute(
            "UPDATE scheduled_publishes SET status = ?, detail = ?, finished_at = ? WHERE id = ?",
            (status, detail[:MAX_DETAIL], utc_now(), id_),
        )


async def mark_missed(conn: aiosqlite.Connection, older_than: str) -> list[ScheduledPublish]:
    """Mark pending rows due before ``older_than`` (UTC) as missed; return them."""
    async with transaction(conn):
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
    async with transaction(conn):
        cur = await conn.execute(
            "UPDATE scheduled_publishes SET status = 'pending', claimed_by = NULL"
            " WHERE status = 'running'"
        )
        return cur.rowcount


async def lease_holder(conn: aiosqlite.Connection, name: str) -> LeaseHolder | None:
    row = await _one(
        conn,
        "SELECT owner, pid, host, acquired_at, heartbeat FROM daemon_lease WHERE name = ?",
        (name,),
    )
    if row is None:
        return None
    owner, pid, host, acquired, beat = tuple(row)
    return LeaseHolder(str(owner), int(pid), str(host), str(acquired), float(beat))


async def take_lease(
    conn: aiosqlite.Connection,
    name: str,
    *,
    owner: str,
    pid: int,
    host: str,
    now: float,
    unless_alive: LeaseHolder | None,
) -> bool:
    """Write ``owner`` as holder if the row is still what the caller judged stale.

    ``unless_alive`` is the holder the caller saw (None: no row). The swap only
    happens if the row did not change since, so two starters never both win.
    """
    async with transaction(conn):
        current = await lease_holder(conn, name)
        if current != unless_alive:
            return False
        await conn.execute(
            "INSERT INTO daemon_lease (name, owner, pid, host, acquired_at, heartbeat)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner,"
            " pid = excluded.pid, host = excluded.host, acquired_at = excluded.acquired_at,"
            " heartbeat = excluded.heartbeat",
            (name, owner, pid, host, utc_now(), now),
        )
        return True


async def beat_lease(conn: aiosqlite.Connection, name: str, owner: str, now: float) -> bool:
    """Refresh the heartbeat; False if ``owner`` no longer holds the lease."""
    cur = await conn.execute(
        "UPDATE daemon_lease SET heartbeat = ? WHERE name = ? AND owner = ?", (now, name, owner)
    )
    return cur.rowcount == 1


async def drop_lease(conn: aiosqlite.Connection, name: str, owner: str) -> None:
    await conn.execute("DELETE FROM daemon_lease WHERE name = ? AND owner = ?", (name, owner))


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
        conn, "SELECT DISTINCT issue_id FROM outbox WHERE status IN ('pending', 'sending')"
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
    rows = await _all(conn, "SELECT DISTINCT issue_id FROM outbox WHERE id > ?", (row_id,))
    issues = {int(r[0]) for r in rows}
    row = await _one(conn, "SELECT coalesce(max(id), 0) FROM outbox")
    return issues, int(row[0]) if row else 0
