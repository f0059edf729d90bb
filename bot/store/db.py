"""Opening a connection: WAL, foreign keys, a busy timeout, migrated on open.

Connections run in autocommit mode; writes are grouped by :func:`transaction`
(``BEGIN IMMEDIATE`` … ``COMMIT``), which ``bot.store.database.Database.write`` —
the one write path — runs, so a failure leaves the database as it was. SQLite's own
errors about unusable files are turned into :class:`DatabaseUnavailable` (or its
subclasses :class:`DatabaseFault`, which may pass, and :class:`DatabaseDamaged`), one
sentence a user can act on. New database files are created 0600.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot.store.base import DatabaseDamaged, DatabaseFault, DatabaseUnavailable

DEFAULT_DB = Path("data/bot.sqlite3")
DEFAULT_BUSY_TIMEOUT_MS = 5000
FULL_BELOW_BYTES = 1 << 20  # less free space than this, and an I/O error means "disk full"
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


def _statvfs(path: Path | str) -> os.statvfs_result | None:
    """The file system holding ``path`` (or its nearest existing folder)."""
    where = Path(path)
    while not where.exists() and where != where.parent:
        where = where.parent
    try:
        return os.statvfs(where)
    except OSError:
        return None


def read_only_fs(path: Path | str) -> bool:
    """Is the file system holding ``path`` mounted read-only?"""
    fs = _statvfs(path)
    return fs is not None and bool(fs.f_flag & os.ST_RDONLY)


def disk_full(path: Path | str) -> bool:
    """Is the file system holding ``path`` (nearly) full? SQLite reports some writes that
    fail for want of space (the -shm file, a page past the end) as "disk I/O error"."""
    fs = _statvfs(path)
    return fs is not None and fs.f_bavail * fs.f_frsize < FULL_BELOW_BYTES


def explain(exc: sqlite3.Error, path: Path | str) -> DatabaseUnavailable | None:
    """Map SQLite's file-level errors to one sentence, or None for other errors.

    The class says what to do: :class:`DatabaseFault` may pass (disk full, a read-only
    remount, I/O, a lock), :class:`DatabaseDamaged` needs a backup, plain
    :class:`DatabaseUnavailable` needs the operator to fix a path or permissions.
    """
    text = str(exc).lower()
    if "database or disk is full" in text:
        return DatabaseFault(f"the disk holding the database {path} is full")
    if "locked" in text or "busy" in text:
        return DatabaseFault(
            f"the database {path} is locked by another process; try again in a moment"
        )
    if "not a database" in text or "malformed" in text:
        return DatabaseDamaged(
            f"{path} is not a usable SQLite database (damaged?); restore a backup"
        )
    file_level = ("readonly", "read-only", "unable to open", "disk i/o")
    if any(word in text for word in file_level) and read_only_fs(path):
        return DatabaseFault(f"the file system holding the database {path} is mounted read-only")
    if "readonly" in text or "read-only" in text:
        return DatabaseUnavailable(f"the database {path} is read-only; check its permissions")
    if "disk i/o" in text and disk_full(path):
        return DatabaseFault(f"the disk holding the database {path} is full")
    if "disk i/o" in text:
        return DatabaseFault(f"an I/O error on the database {path}; check the disk")
    if "unable to open" in text:
        return DatabaseUnavailable(
            f"cannot open the database {path}; check the path and its permissions"
        )
    return None


def missing_database(path: Path | str) -> DatabaseDamaged:
    return DatabaseDamaged(
        f"there is no database at {path}; create one with `bot db init` (or start with"
        " `bot run --init`), or restore a backup"
    )


def create_private(path: Path) -> None:
    """Create an empty file readable by its owner only (0600), unless it exists: SQLite
    then opens it, and its -wal and -shm files take the same mode."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def tighten(path: Path | str) -> None:
    """Take the world's access away from the database and its -wal/-shm (the group's, a
    documented choice like 0640, is kept); a file we may not chmod is left as it is."""
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        with contextlib.suppress(OSError):
            mode = os.stat(name).st_mode & 0o777
            if mode & 0o007:
                os.chmod(name, mode & ~0o007)


def file_identity(path: Path | str) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path`` now, or None when there is none."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


async def integrity_problems(conn: aiosqlite.Connection, *, full: bool = False) -> list[str]:
    """``PRAGMA quick_check`` (``integrity_check`` when ``full``): [] when the file is sound,
    else what SQLite found (a damaged page may also make the check itself fail)."""
    pragma = "integrity_check" if full else "quick_check"
    try:
        async with conn.execute(f"PRAGMA {pragma}") as cur:
            rows = [str(row[0]) for row in await cur.fetchall()]
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):
            raise
        return [str(exc)]
    if rows == ["ok"]:
        return []
    # One line each: SQLite prefixes the first with "*** in database main ***\n".
    lines = (line.strip() for row in rows for line in row.splitlines())
    return [line for line in lines if line and not line.startswith("*** in database")]


MAIN_TABLES = ("issues", "entries", "revisions", "chats", "topics", "outbox", "scheduled_publishes")


async def table_counts(conn: aiosqlite.Connection) -> dict[str, int]:
    """Rows in each of the main tables (what a backup must hold as many of)."""
    counts: dict[str, int] = {}
    for table in MAIN_TABLES:
        async with conn.execute(f"SELECT count(*) FROM {table}") as cur:
            row = await cur.fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


async def backup_snapshot(conn: aiosqlite.Connection, target: Path) -> dict[str, int]:
    """Copy the database behind ``conn`` to ``target`` (SQLite's online backup) and return
    the main tables' row counts, both from one read transaction: the same snapshot."""
    await conn.execute("BEGIN")
    try:
        counts = await table_counts(conn)
        copy = sqlite3.connect(target, check_same_thread=False)
        try:
            await conn.backup(copy)
        finally:
            copy.close()
    finally:
        await conn.execute("COMMIT")
    return counts


def _read_only_uri(path: Path) -> str | None:
    if not path.exists():
        return None
    return f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro"


async def check_file(path: Path, *, full: bool = False) -> tuple[list[str], dict[str, int]]:
    """Open ``path`` read-only (no migration, no write) and check it: (what
    quick_check/integrity_check found, [] when sound; the main tables' row counts, {}
    when it is damaged or cannot be read)."""
    uri = _read_only_uri(path)
    if uri is None:
        return [str(missing_database(path))], {}
    try:
        conn = await aiosqlite.connect(uri, uri=True)
    except sqlite3.Error as exc:
        return [str(exc)], {}
    try:
        problems = await integrity_problems(conn, full=full)
        return problems, ({} if problems else await table_counts(conn))
    except sqlite3.DatabaseError as exc:
        return [str(exc)], {}
    finally:
        await conn.close()


@asynccontextmanager
async def open_db(
    path: Path | str | None = None,
    *,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    create: bool = True,
    synchronous: str = "NORMAL",
) -> AsyncIterator[aiosqlite.Connection]:
    """Open (creating it 0600 when ``create``, else refusing a missing file) and migrate
    the database; close it on exit.

    WAL journal, foreign keys on, a busy timeout, ``synchronous`` as given (FULL makes
    every commit durable across a power or file-system fault; NORMAL may lose the last
    commits, never corrupt). Any file-level problem, on open or later inside the
    block, raises :class:`DatabaseUnavailable` (or a subclass).
    """
    from bot.store import entry_topics, fts
    from bot.store.migrations import migrate

    if synchronous not in ("NORMAL", "FULL"):
        raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
    db_path = Path(path) if path is not None else default_db_path()
    if db_path.is_dir():
        raise DatabaseUnavailable(f"the database path {db_path} is a folder, not a file")
    if not create and not db_path.exists():
        raise missing_database(db_path)
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        create_private(db_path)
    except OSError as exc:
        if read_only_fs(db_path):
            raise DatabaseFault(
                f"the file system holding the database {db_path} is mounted read-only"
            ) from None
        if exc.errno == errno.ENOSPC:
            raise DatabaseFault(f"the disk holding the database {db_path} is full") from None
        raise DatabaseUnavailable(
            f"cannot create the database {db_path}: {exc.strerror or exc}"
        ) from None
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
        await conn.execute(f"PRAGMA synchronous = {synchronous}")
        tighten(db_path)
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
