"""Opening the database: pragmas, migrations from any earlier version, unusable files."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import aiosqlite
import pytest

from bot.store.base import DatabaseUnavailable, StoreError
from bot.store.db import open_db, savepoint, transaction
from bot.store.issues import ingest_issue
from bot.store.migrations import STEPS, applied_steps, migrate
from tests.support.store import make_entry, make_issue


async def _schema(conn: aiosqlite.Connection) -> list[tuple[str, str]]:
    async with conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'entry_fts_%'"
        " ORDER BY name"
    ) as cursor:
        return [(str(r[0]), str(r[1])) for r in await cursor.fetchall()]


async def test_open_sets_wal_foreign_keys_and_records_every_step(db: aiosqlite.Connection) -> None:
    async with db.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
    async with db.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1  # type: ignore[index]
    async with db.execute("SELECT name, applied_at FROM migrations ORDER BY rowid") as cur:
        rows = await cur.fetchall()
    assert [r[0] for r in rows] == [name for name, _ in STEPS]
    assert all(len(r[1]) == 19 for r in rows)
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute(
            "INSERT INTO entries (issue_id, key, section, position, title) VALUES (99, 'k', 's', 0,"
            " 't')"
        )


async def test_reopening_applies_nothing(db_path: Path) -> None:
    async with open_db(db_path) as conn:
        assert await migrate(conn) == []
        assert len(await applied_steps(conn)) == len(STEPS)


TAGS_STEP = [name for name, _ in STEPS].index("0009_entry_topics") + 1


@pytest.mark.parametrize("version", range(1, len(STEPS)))
async def test_upgrade_from_every_earlier_version_keeps_data(db_path: Path, version: int) -> None:
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await migrate(conn, upto=version)
        if version == 1:  # no search index yet: write the rows as version 1 code did
            await conn.execute(
                "INSERT INTO issues VALUES (1, '2020-01-27', 't', '', 'h', '2020', '2020')"
            )
            await conn.execute(
                "INSERT INTO entries (id, issue_id, key, section, position, title, summary)"
                " VALUES (1, 1, 'k', '论文', 0, '低比特量化综述', '')"
            )
        else:
            issue = make_issue(
                "2020-01-27", make_entry("低比特量化综述", url="https://a.example/1")
            )
            if version < TAGS_STEP:  # today's ingest also tags: let it, in a table that goes
                await conn.execute(
                    "CREATE TEMP TABLE entry_topics (entry_id, topic, term,"
                    " PRIMARY KEY (entry_id, topic))"
                )
            await ingest_issue(conn, issue, "h", "text")
        if version >= 3:  # chats and topics exist: a reader followed 量化 and INT8
            await conn.execute(
                "INSERT INTO chats (id, type, created_at, updated_at)"
                " VALUES (7, 'private', '2020', '2020')"
            )
            followed = [("量化", "量化"), ("int8", "INT8"), ("ncnn", "NCNN")]
            if version >= TAGS_STEP:  # stored as that version's code stores them
                followed = [("#quantization", "量化"), ("ncnn", "NCNN")]
            await conn.executemany(
                "INSERT INTO topics (chat_id, term, display, created_at) VALUES (7, ?, ?, '2020')",
                followed,
            )
    async with open_db(db_path) as conn:
        assert await applied_steps(conn) == [name for name, _ in STEPS]
        async with conn.execute("SELECT topic, term FROM entry_topics") as cur:
            assert await cur.fetchall() == [("quantization", "低比特")]  # re-tagged on open
        if version >= 3:
            async with conn.execute("SELECT term, display FROM topics ORDER BY rowid") as cur:
                assert await cur.fetchall() == [("#quantization", "量化"), ("ncnn", "NCNN")]
        async with conn.execute(
            "SELECT count(*) FROM entry_fts WHERE entry_fts MATCH '\"量化\"'"
        ) as cur:
            assert (await cur.fetchone())[0] == 1  # type: ignore[index]
        upgraded = await _schema(conn)
    fresh_path = db_path.with_name("fresh.sqlite3")
    async with open_db(fresh_path) as conn:
        assert upgraded == await _schema(conn)


async def test_database_from_a_newer_version_is_refused(db_path: Path) -> None:
    async with open_db(db_path) as conn:
        await conn.execute("INSERT INTO migrations VALUES ('9999_future', '2030-01-01 00:00:00')")
    with pytest.raises(StoreError, match="newer digest-bot"):
        async with open_db(db_path):
            pass


async def test_locked_database_is_a_clear_error(db_path: Path) -> None:
    async with open_db(db_path):
        pass
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        async with (
            open_db(db_path, busy_timeout_ms=50) as conn,
            conn.execute("SELECT count(*) FROM issues") as cur,
        ):
            assert (await cur.fetchone())[0] == 0, "readers still work"  # type: ignore[index]
        with pytest.raises(DatabaseUnavailable, match="locked by another process"):
            async with open_db(db_path, busy_timeout_ms=50) as conn, transaction(conn):
                await conn.execute("DELETE FROM issues")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _make_read_only(path: Path) -> None:
    path.chmod(0o444)
    if os.geteuid() == 0:  # root ignores permissions: make the file immutable instead
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(path)]).returncode != 0:
            pytest.skip("running as root without chattr: cannot make a file read-only here")


def _make_writable(path: Path) -> None:
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(path)], check=False)
    path.chmod(0o644)


async def test_read_only_database_is_a_clear_error(db_path: Path) -> None:
    async with open_db(db_path) as conn:
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _make_read_only(db_path)
    try:
        with pytest.raises(DatabaseUnavailable, match="read-only"):
            async with open_db(db_path) as conn, transaction(conn):
                await conn.execute("DELETE FROM issues")
    finally:
        _make_writable(db_path)


async def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("这不是数据库\n" * 200, encoding="utf-8")
    with pytest.raises(DatabaseUnavailable, match="not a usable SQLite database"):
        async with open_db(bogus):
            pass


async def test_a_failed_transaction_leaves_nothing(db: aiosqlite.Connection) -> None:
    issue = make_issue("2021-01-05", make_entry("模型压缩", url="https://a.example/1"))
    with pytest.raises(RuntimeError):
        async with transaction(db):
            await ingest_issue(db, issue, "h1", "text")
            raise RuntimeError("boom")
    async with db.execute("SELECT count(*) FROM issues") as cur:
        assert (await cur.fetchone())[0] == 0  # type: ignore[index]


async def test_a_changed_tokenizer_version_rebuilds_the_index(db_path: Path) -> None:
    async with open_db(db_path) as conn:
        issue = make_issue("2021-01-05", make_entry("剪枝与蒸馏", url="https://a.example/1"))
        await ingest_issue(conn, issue, "h", "")
        await conn.execute("UPDATE meta SET value = 'old' WHERE key = 'index_version'")
        await conn.execute("INSERT INTO entry_fts (entry_fts) VALUES ('delete-all')")
    async with open_db(db_path) as conn:
        async with conn.execute(
            "SELECT count(*) FROM entry_fts WHERE entry_fts MATCH '\"蒸馏\"'"
        ) as cur:
            assert (await cur.fetchone())[0] == 1  # type: ignore[index]
        async with conn.execute("SELECT value FROM meta WHERE key = 'index_version'") as cur:
            assert (await cur.fetchone())[0] != "old"  # type: ignore[index]


INSERT = "INSERT INTO issues VALUES (?, ?, '', '', 'h', '', '')"


async def test_a_standalone_savepoint_holds_the_write_lock_from_its_start(db_path: Path) -> None:
    """So its reads stay valid until it writes: another writer waits instead of slipping in."""
    async with open_db(db_path) as conn:
        other = sqlite3.connect(db_path, timeout=0.05, isolation_level=None)
        try:
            async with savepoint(conn, "work"):
                async with conn.execute("SELECT count(*) FROM issues") as cur:
                    assert (await cur.fetchone())[0] == 0  # type: ignore[index]
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute(INSERT, (1, "2021-01-05"))
                await conn.execute(INSERT, (2, "2021-05-21"))
            other.execute(INSERT, (1, "2021-01-05"))
        finally:
            other.close()


async def test_the_outbox_rebuild_for_unpublish_keeps_every_row(db_path: Path) -> None:
    names = [name for name, _ in STEPS]
    before = names.index("0008_unpublish_outbox_actions")
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await migrate(conn, upto=before)
        await conn.execute(  # an issue as stored then (no topic tags yet at this step)
            "INSERT INTO issues (id, date, title, file_hash, published_at, updated_at)"
            " VALUES (1, '2020-01-27', 't', 'h', 'n', 'n')"
        )
        await conn.execute(
            "INSERT INTO chats (id, type, created_at, updated_at) VALUES (5, 'private', 'n', 'n')"
        )
        await conn.execute(
            "INSERT INTO outbox (issue_id, chat_id, part_no, text, status, message_id,"
            " created_at, sent_at) VALUES (1, 5, 0, 'html', 'sent', 42, 'c', 's')"
        )
    async with (
        open_db(db_path) as conn,
        conn.execute(
            "SELECT issue_id, chat_id, part_no, text, status, message_id, sent_at, action,"
            " unpublished_id FROM outbox"
        ) as cur,
    ):
        rows = [tuple(r) for r in await cur.fetchall()]
    assert rows == [(1, 5, 0, "html", "sent", 42, "s", "send", None)]
