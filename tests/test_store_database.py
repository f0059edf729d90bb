"""The one write path: Database.write serializes writers, waits out another process's
write lock, rolls back what fails, and survives cancellation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import pytest

from bot.store.chats import get_chat, upsert_chat
from bot.store.database import Database, open_database
from bot.store.db import open_db


async def _count(db: Database) -> int:
    async with db.reader.execute("SELECT count(*) FROM chats") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_concurrent_read_then_write_actions_never_lose_an_update(db_path: Path) -> None:
    """Each action reads a counter and writes it back: without serialization two of
    them would read the same value and one increment would be lost."""
    async with open_database(db_path) as db:
        await db.write(lambda c: upsert_chat(c, 1, "private", "0"))

        async def bump(conn: aiosqlite.Connection) -> None:
            chat = await get_chat(conn, 1)
            assert chat is not None and chat.title is not None
            await asyncio.sleep(0)  # let the other writers run now, if they could
            await upsert_chat(conn, 1, "private", str(int(chat.title) + 1))

        await asyncio.gather(*(db.write(bump) for _ in range(50)))
        chat = await get_chat(db.reader, 1)
        assert chat is not None and chat.title == "50"


async def test_a_failing_action_leaves_nothing_half_written(db_path: Path) -> None:
    async with open_database(db_path) as db:

        async def half(conn: aiosqlite.Connection) -> None:
            await upsert_chat(conn, 1, "private", "one")
            raise ValueError("refused after the first write")

        with pytest.raises(ValueError, match="refused"):
            await db.write(half)
        assert await _count(db) == 0
        await db.write(lambda c: upsert_chat(c, 2, "private", "two"))  # still usable
        assert await _count(db) == 1


async def test_another_process_holding_the_lock_is_waited_out(db_path: Path) -> None:
    async with (
        open_database(db_path, busy_timeout_ms=20) as db,
        open_db(db_path) as other,  # another process: a big `bot publish`
    ):
        await other.execute("BEGIN IMMEDIATE")
        writing = asyncio.create_task(db.write(lambda c: upsert_chat(c, 1, "private", "x")))
        while db.busy_retries < 2:  # noqa: ASYNC110 (it met the lock, and tries again)
            await asyncio.sleep(0.01)
        assert not writing.done()
        await other.execute("COMMIT")
        await asyncio.wait_for(writing, 10)
        assert await _count(db) == 1


async def test_busy_beyond_the_patience_is_raised_not_hidden(db_path: Path) -> None:
    async with (
        open_database(db_path, busy_timeout_ms=20) as db,
        open_db(db_path) as other,
    ):
        await other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(aiosqlite.OperationalError, match="locked"):
                await db.write(lambda c: upsert_chat(c, 1, "private", "x"), patience_s=0)
        finally:
            await other.execute("COMMIT")


async def test_a_writer_cancelled_mid_transaction_leaves_the_connection_usable(
    db_path: Path,
) -> None:
    async with open_database(db_path) as db:
        entered = asyncio.Event()

        async def slow(conn: aiosqlite.Connection) -> None:
            await upsert_chat(conn, 1, "private", "never committed")
            entered.set()
            await asyncio.Event().wait()

        task = asyncio.create_task(db.write(slow))
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for n in range(20):  # cancelled at every point of BEGIN / COMMIT too
            task = asyncio.create_task(db.write(lambda c: upsert_chat(c, 2, "private", "y")))
            for _ in range(n % 4):
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await db.write(lambda c: upsert_chat(c, 3, "private", "z"))
        assert await get_chat(db.reader, 1) is None
        assert await get_chat(db.reader, 3) is not None
