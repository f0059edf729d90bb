"""The one write path: a process's :class:`Database`.

Every part of a process (Telegram handlers, the sender, the scheduler's jobs, a
CLI command) receives the same ``Database``. Reads go to :attr:`Database.reader`,
a connection of their own (WAL lets them read while a write is in progress).
Every write goes through :meth:`Database.write`, which

- serializes this process's writers (one ``asyncio.Lock``, first come first served),
- runs the action in one ``BEGIN IMMEDIATE`` … ``COMMIT`` transaction on the writer
  connection (rolled back on any error, so nothing is half-written),
- and, while another *process* holds SQLite's write lock (a big `bot publish`),
  waits with backoff and runs the whole action again, for up to ``patience_s``.

An action therefore only touches the database through the connection it is given,
and may run more than once: it must not send messages or mail.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot.store.db import (
    DEFAULT_BUSY_TIMEOUT_MS,
    default_db_path,
    file_identity,
    is_busy,
    open_db,
    transaction,
)

T = TypeVar("T")
Action = Callable[[aiosqlite.Connection], Awaitable[T]]
DEFAULT_PATIENCE_S = 30.0
FIRST_DELAY_S = 0.05
MAX_DELAY_S = 1.0


class Database:
    """Reads on :attr:`reader`; writes through :meth:`write`. Open with :func:`open_database`."""

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        *,
        patience_s: float = DEFAULT_PATIENCE_S,
    ) -> None:
        self.path = path
        self.reader = reader
        self._writer = writer
        self._lock = asyncio.Lock()
        self.patience_s = patience_s
        self.busy_retries = 0  # writes run again because another process held the lock
        self.identity = file_identity(path)  # (device, inode) of the file opened

    def file_problem(self) -> str | None:
        """None while the path still names the file this process opened; else one sentence
        (the file was deleted, or replaced by another): whatever is written from now on
        goes to a file nobody will open again. A cheap ``stat``: check it often."""
        now = file_identity(self.path)
        if now is None:
            return f"the database file {self.path} was deleted while the bot had it open"
        if now != self.identity:
            return f"the database file {self.path} was replaced while the bot had it open"
        return None

    async def write(self, action: Action[T], *, patience_s: float | None = None) -> T:
        """Run ``action(conn)`` in one atomic transaction and return its result.

        Raises what the action raises (after rolling it back), or SQLite's "database
        is locked" when another process held the write lock for longer than the
        patience (``0``: try once).
        """
        patience = self.patience_s if patience_s is None else patience_s
        async with self._lock:
            deadline = time.monotonic() + patience
            delay = FIRST_DELAY_S
            while True:
                try:
                    async with transaction(self._writer):
                        return await action(self._writer)
                except sqlite3.OperationalError as exc:
                    if not is_busy(exc) or time.monotonic() + delay > deadline:
                        raise
                self.busy_retries += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_DELAY_S)


@asynccontextmanager
async def open_database(
    path: Path | str | None = None,
    *,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    patience_s: float = DEFAULT_PATIENCE_S,
    create: bool = True,
    synchronous: str = "FULL",
) -> AsyncIterator[Database]:
    """Open (creating it when ``create``, else refusing a missing file) and migrate the
    database for this process.

    The writer commits with ``synchronous=FULL``: a commit (a "sent" mark above all)
    survives a power cut or a file system going read-only under it; with NORMAL the
    last commits before such a fault could be rolled back and their messages sent
    again. The reader never writes, so it keeps NORMAL. (``synchronous`` is there for
    the delivery benchmark, which measures what FULL costs.)
    """
    db_path = Path(path) if path is not None else default_db_path()
    async with AsyncExitStack() as stack:
        writer = await stack.enter_async_context(
            open_db(
                db_path, busy_timeout_ms=busy_timeout_ms, create=create, synchronous=synchronous
            )
        )
        reader = await stack.enter_async_context(
            open_db(db_path, busy_timeout_ms=busy_timeout_ms, create=False)
        )
        yield Database(db_path, writer, reader, patience_s=patience_s)
