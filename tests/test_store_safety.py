"""The database file's safety: modes (0600), durable commits on the writer, a missing
or replaced file noticed, integrity checks, and faults named for what they are."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.store.base import DatabaseDamaged, DatabaseFault, DatabaseUnavailable
from bot.store.chats import upsert_chat
from bot.store.database import open_database
from bot.store.db import check_file, integrity_problems, open_db
from tests.support.faults import SmallFs, corrupt, populated_db


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # what a shell usually has: new files 0644
    yield
    os.umask(old)


def mode(path: Path | str) -> int:
    return os.stat(path).st_mode & 0o777


async def test_a_new_database_and_its_wal_and_shm_are_0600(
    tmp_path: Path, loose_umask: None
) -> None:
    path = tmp_path / "bot.sqlite3"
    async with open_database(path) as db:
        await db.write(lambda c: upsert_chat(c, 1, "private", "reader", "zh"))
        assert {mode(path), mode(f"{path}-wal"), mode(f"{path}-shm")} == {0o600}


async def test_a_database_readable_by_everyone_loses_the_worlds_access_on_open(
    tmp_path: Path, loose_umask: None
) -> None:
    path = populated_db(tmp_path / "restored.sqlite3", chats=3)
    os.chmod(path, 0o644)  # restored with cp under umask 022
    async with open_database(path):
        assert mode(path) == 0o640 and mode(f"{path}-wal") == 0o640  # the group's is kept


async def test_the_writer_commits_with_synchronous_full(tmp_path: Path) -> None:
    async with open_database(tmp_path / "bot.sqlite3") as db:
        # The sent marks go through db.write: the connection it uses must be FULL (2).
        async def synchronous(conn: object) -> int:
            async with db._writer.execute("PRAGMA synchronous") as cur:
                row = await cur.fetchone()
            return int(row[0]) if row else -1

        assert await db.write(synchronous) == 2


async def test_a_missing_database_is_refused_unless_creating_is_asked(tmp_path: Path) -> None:
    path = tmp_path / "gone.sqlite3"
    with pytest.raises(DatabaseDamaged, match=r"no database at .*bot db init.*bot run --init"):
        async with open_database(path, create=False):
            pass
    assert not path.exists()
    async with open_database(path, create=True):
        pass
    assert path.exists()


async def test_a_deleted_or_replaced_file_is_noticed(tmp_path: Path) -> None:
    path = populated_db(tmp_path / "bot.sqlite3", chats=3)
    async with open_database(path) as db:
        assert db.file_problem() is None
        shutil.copy(path, tmp_path / "copy.sqlite3")
        os.replace(tmp_path / "copy.sqlite3", path)
        assert "replaced" in (db.file_problem() or "")
        path.unlink()
        assert "deleted" in (db.file_problem() or "")


async def test_quick_check_finds_overwritten_pages(tmp_path: Path) -> None:
    path = populated_db(tmp_path / "bot.sqlite3")
    assert await check_file(path) == ([], await _counts(path))
    corrupt(path, pages=4)
    problems, counts = await check_file(path)
    assert problems and counts == {}
    async with open_db(path) as conn:  # the schema pages are intact: it opens...
        assert await integrity_problems(conn)  # ...but the check says it is damaged


async def _counts(path: Path) -> dict[str, int]:
    return (await check_file(path))[1]


async def test_a_read_only_file_system_is_named_and_may_pass(
    small_fs: Callable[[str], SmallFs],
) -> None:
    fs = small_fs("4m")
    path = populated_db(fs.path / "bot.sqlite3", chats=3)
    fs.remount(read_only=True)
    with pytest.raises(DatabaseFault, match=r"file system holding the database .* read-only"):
        async with open_database(path):
            pass


async def test_a_full_disk_is_named_and_may_pass(small_fs: Callable[[str], SmallFs]) -> None:
    fs = small_fs("2m")
    path = populated_db(fs.path / "bot.sqlite3", chats=3)
    filler: Path | None = None
    with pytest.raises(DatabaseFault, match=r"the disk holding the database .* is full"):
        async with open_database(path) as db:
            filler = fs.fill()
            try:
                for chat_id in range(100, 2000):
                    await db.write(
                        lambda c, i=chat_id: upsert_chat(c, i, "private", "名" * 200, "zh")  # type: ignore[misc]
                    )
            finally:
                filler.unlink()  # the disk recovers: closing (a checkpoint) works again
    assert filler is not None and issubclass(DatabaseFault, DatabaseUnavailable)
