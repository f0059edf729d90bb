"""``daemon_lease``: who runs on this database.

One row per lease name: the `bot run` single-instance lease (owner id, pid, host,
and when it last said so: ``heartbeat``, epoch seconds), and one ``sender:<owner>``
heartbeat row per running sender, so `bot publish` can say whether the outbox
will be drained by a daemon or needs ``--send``.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.store.base import utc_now


@dataclass(frozen=True, slots=True)
class LeaseHolder:
    owner: str
    pid: int
    host: str
    acquired_at: str
    heartbeat: float


async def _one(
    conn: aiosqlite.Connection, sql: str, params: tuple[object, ...] = ()
) -> aiosqlite.Row | None:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


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


PREFIX = "sender:"


async def announce_sender(
    conn: aiosqlite.Connection, owner: str, pid: int, host: str, now: float
) -> None:
    """Say (in ``daemon_lease``) that a sender runs, so `bot publish` can tell."""
    await conn.execute(
        "INSERT INTO daemon_lease (name, owner, pid, host, acquired_at, heartbeat)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET heartbeat = excluded.heartbeat",
        (PREFIX + owner, owner, pid, host, utc_now(), now),
    )


async def retire_sender(conn: aiosqlite.Connection, owner: str) -> None:
    await conn.execute("DELETE FROM daemon_lease WHERE name = ?", (PREFIX + owner,))


async def live_senders(
    conn: aiosqlite.Connection, now: float, ttl: float
) -> list[tuple[str, int, str]]:
    """(owner, pid, host) of every sender whose heartbeat is younger than ``ttl``."""
    async with conn.execute(
        "SELECT owner, pid, host FROM daemon_lease WHERE name LIKE 'sender:%' AND heartbeat > ?"
        " ORDER BY heartbeat DESC",
        (now - ttl,),
    ) as cur:
        return [(str(r[0]), int(r[1]), str(r[2])) for r in await cur.fetchall()]
