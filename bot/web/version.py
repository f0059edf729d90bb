"""The archive version (``bot.store.issues.archive_version``) for many concurrent requests
at the price of about one read.

Every page the cache answers still has to know the archive has not changed since it was
rendered; with 50 readers at once, 50 reads of the version queue on the one reader
connection and cost more than the page. A request here waits for a read that starts
after it arrived — so it never sees the archive older than at its arrival (a publish
that committed before the request shows at once) — and every request arriving while
that read has not started yet shares it: one read in flight, one queued, whatever the
number of readers.
"""

from __future__ import annotations

import asyncio

import aiosqlite

from bot.store.issues import archive_version


class ArchiveVersion:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._last: asyncio.Task[int] | None = None  # the newest read: running or queued
        self._queued = False  # whether _last has yet to start its query
        self.reads = 0

    async def current(self) -> int:
        if self._last is None or not self._queued:
            self._last = asyncio.create_task(self._read(self._last))
            self._queued = True
        # A reader that goes away must not cancel the read the others wait for.
        return await asyncio.shield(self._last)

    async def _read(self, before: asyncio.Task[int] | None) -> int:
        if before is not None:
            await asyncio.wait([before])  # its outcome is its own waiters'
        self._queued = False  # from here on, a new arrival needs the next read
        self.reads += 1
        return await archive_version(self._conn)
