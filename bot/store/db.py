"""Opening a connection: WAL, foreign keys, a busy timeout, migrated on open.

Connections run in autocommit mode; writes are grouped by :func:`transaction`
(``BEGIN IMMEDIATE`` … ``COMMIT``), which ``bot.store.database.Database.write`` —
the one write path — runs, so a failure leaves the database as it was. SQLite's own
errors about unusable files are turned into :class:`DatabaseUnavailable`, one
sentence a user can act on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot.store.base import DatabaseUnavailable

DEFAULT_DB = Path("data/bot.sqlite3")
DEFAULT_BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")


def default_db_path() -> Path:
    """``BOT_DB`` from the environment (or ``.env``), else ``data/bot.sqlite3``.

    Read directly rather than through pydantic settings: light commands
    (search, issues) would otherwise spend ~0.2 s importing pydantic.
    """
    value = os.environ.get("BOT_DB")
    if value is None:
        value = _from_dotenv(Path(".env"), "BOT_DB")
    return Path(value) if value else DEFAULT_DB


def _from_dotenv(path: Path, name: str) -> str | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        key, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and key.strip() == name:
            return value.strip().strip("'\"")
    return None


def explain(exc: sqlite3.Error, path: Path | str) -> DatabaseUnavailable | None:
    """Map SQLite's file-level errors to one sentence, or None for other errors."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return DatabaseUnavailable(f"the database {path} is read-only; check its permissions")
    if "locked" in text or "busy" in text:
        return DatabaseUnavailable(
            f"the database {path} is locked by another process; try again in a moment"
        )
    if "not a database" in text or "malformed" in text:
        return DatabaseUnavailable(f"{path} is not a usable SQLite database")
    if "unable to open" in text or "disk i/o" in text:
        return DatabaseUnavailable(f"cannot open the database {path}; check the path")
    if "database or disk is full" in text:
        return DatabaseUnavailable(f"the disk holding {path} is full")
    return None


@asynccontextmanager
async def open_db(
    path: Path | str | None = None, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS
) -> AsyncIterator[aiosqlite.Connection]:
    """Open (creating if needed) and migrate the database; close it on exit.

    WAL journal, foreign keys on, a busy timeout. Any file-level problem,
    on open or later inside the block, raises :class:`DatabaseUnavailable`.
    """
    from bot.store import entry_topics, fts
    from bot.store.migrations import migrate

    db_path = Path(path) if path is not None else default_db_path()
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        raise DatabaseUnavailable(f"cannot create the folder for the database {db_path}") from None
    if db_path.is_dir():
        raise DatabaseUnavailable(f"the database path {db_path} is a folder, not a file")
    try:
        conn = await aiosqlite.connect(db_path, isolation_level=None)
    except sqlite3.Error as exc:
        raise explain(exc, db_path) or DatabaseUnavailable(
            f"cannot open the database {db_path}"
        ) from None
    try:
        await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await migrate(conn)
        if await fts.needs_rebuild(conn):  # the tokenizer or normalization changed
            async with transaction(conn):
                if await fts.needs_rebuild(conn):
                    await fts.rebuild(conn)
        if await entry_topics.needs_retag(conn):  # the topic catalogue changed
            async with transaction(conn):
                if await entry_topics.needs_retag(conn):
                    await entry_topics.retag(conn)
        yield conn
    except sqlite3.Error as exc:
        mapped = explain(exc, db_path)
        if mapped is None:
            raise
        raise mapped from None
    finally:
        await conn.close()


@asynccontextmanager
async def transaction(conn: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; roll back on any exception.

    Safe under cancellation: a statement handed to aiosqlite runs on its thread even
    when the awaiting task is cancelled, so a ROLLBACK is queued behind it and the
    connection is never left inside a transaction (every later BEGIN would fail with
    "cannot start a transaction within a transaction").
    """
    try:
        await conn.execute("BEGIN IMMEDIATE")
    except asyncio.CancelledError:
        await _rollback(conn)
        raise
    try:
        yield conn
    except BaseException:
        await _rollback(conn)
        raise
    try:
        await conn.execute("COMMIT")
    except BaseException:
        await _rollback(conn)
        raise


async def _rollback(conn: aiosqlite.Connection) -> None:
    """Roll back whatever is open once the statements already queued have run; nothing
    open (the BEGIN failed, or a cancelled COMMIT went through) is fine."""
    with contextlib.suppress(sqlite3.Error, ValueError):  # ValueError: connection closed
        await asyncio.shield(conn.execute("ROLLBACK"))


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "busy": another connection holds the lock."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text


@asynccontextmanager
async def savepoint(conn: aiosqlite.Connection, name: str) -> AsyncIterator[None]:
    """A nestable atomic block. Outside a transaction it is one (``BEGIN IMMEDIATE``,
    so a read-then-write block waits for other writers instead of failing with
    "database is locked" when they commit in between)."""
    if not name.isidentifier():
        raise ValueError(f"bad savepoint name {name!r}")
    if not conn.in_transaction:
        async with transaction(conn):
            yield
        return
    await conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        await conn.execute(f"ROLLBACK TO {name}")
        await conn.execute(f"RELEASE {name}")
        raise
    await conn.execute(f"RELEASE {name}")
