"""Which senders are running: a heartbeat row each in ``daemon_lease`` (``sender:<owner>``).

`bot publish` reads it to say whether the outbox will be drained by a daemon or
needs ``--send``. Several senders may run at once (row leases keep them apart).
"""

from __future__ import annotations

import aiosqlite

from bot.store.db import utc_now

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
