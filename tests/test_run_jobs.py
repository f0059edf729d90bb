"""The daemon's job source on a real database: grace period, refusals, delivery summaries."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.logs import fields_of
from bot.publishing.release import PublishSummary, publish_text
from bot.run.jobs import DbJobSource, DeliveryReporter
from bot.store.base import to_stamp
from bot.store.chats import upsert_chat
from bot.store.database import Database, open_database
from bot.store.db import open_db, transaction
from bot.store.scheduled import add_scheduled, get_scheduled, list_scheduled

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BROKEN = "# 嵌入式AI简报 (2021-02-02)\n\n## 业界新闻\n\n- [<标题> | 来源](https://example.org/x)\n"


@pytest.fixture
def seed_text(seed_path: Path) -> str:
    return seed_path.read_text(encoding="utf-8")


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, object]]:
    return [dict(fields_of(r)) for r in caplog.records if r.getMessage() == name]


async def noop() -> None:
    return None


def source(db: Database, settings: Settings, grace_min: int = 60) -> DbJobSource:
    async def publish(
        d: Database, name: str, text: str, force: bool, date: str | None
    ) -> PublishSummary:
        return await publish_text(d, name, text, force, date, settings=settings)

    return DbJobSource(
        db,
        owner="test",
        publish=publish,
        drain=noop,
        grace=timedelta(minutes=grace_min),
        clock=lambda: NOW,
    )


async def test_missed_beyond_grace_is_reported_not_sent(
    tmp_path: Path, seed_text: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    text = seed_text
    async with open_database(tmp_path / "bot.sqlite3") as database:
        conn = database.reader  # test set-up writes and reads
        late = await add_scheduled(
            conn,
            file_name="late.md",
            content=text,
            force=True,
            due_at=to_stamp(NOW - timedelta(minutes=61)),
        )
        recent = await add_scheduled(
            conn,
            file_name="recent.md",
            content=text,
            force=True,
            due_at=to_stamp(NOW - timedelta(minutes=59)),
        )
        jobs = source(database, Settings(_env_file=None))  # type: ignore[call-arg]
        missed = await jobs.recover()
        assert [m.id for m in missed] == [late]
        assert [p.id for p in await list_scheduled(conn)] == [recent]
        [reported] = events(caplog, "publish.missed")
        assert reported["file"] == "late.md" and "bot publish" in str(reported["hint"])
        pending = await jobs.pending_publishes()
        assert pending == [(recent, NOW - timedelta(minutes=59))]


async def test_fired_publish_ingests_enqueues_and_runs_once(
    tmp_path: Path, seed_text: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    text = seed_text
    async with open_database(tmp_path / "bot.sqlite3") as database:
        conn = database.reader  # test set-up writes and reads
        async with transaction(conn):
            await upsert_chat(conn, 7, "private", "reader", "zh")
        id_ = await add_scheduled(
            conn, file_name="2021-01-05.md", content=text, force=True, due_at=to_stamp(NOW)
        )
        jobs = source(database, Settings(_env_file=None))  # type: ignore[call-arg]
        reporter = DeliveryReporter(database)
        await reporter.check()
        await jobs.fire_publish(id_)
        await jobs.fire_publish(id_)  # a second firing (another daemon, a retry) does nothing
        row = await get_scheduled(conn, id_)
        assert row is not None and row.status == "done" and "2021-01-05 new" in row.detail
        assert len(events(caplog, "publish.fired")) == 1
        async with conn.execute("SELECT count(*) FROM outbox WHERE chat_id = 7") as cur:
            queued = (await cur.fetchone() or [0])[0]
        assert queued >= 1
        await conn.execute("UPDATE outbox SET status = 'sent'")
        await reporter.check()
        [summary] = events(caplog, "delivery.summary")
        assert summary["issue"] == "2021-01-05" and summary["sent"] == queued


async def test_draft_with_lint_errors_is_refused_without_force(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_database(tmp_path / "bot.sqlite3") as database:
        conn = database.reader  # test set-up writes and reads
        id_ = await add_scheduled(
            conn, file_name="draft.md", content=BROKEN, force=False, due_at=to_stamp(NOW)
        )
        await source(database, Settings(_env_file=None)).fire_publish(id_)  # type: ignore[call-arg]
        row = await get_scheduled(conn, id_)
        assert row is not None and row.status == "failed"
        assert "lint error" in row.detail and "--force" in row.detail
        async with conn.execute("SELECT count(*) FROM issues") as cur:
            assert (await cur.fetchone() or [1])[0] == 0  # nothing half-published


async def test_publish_runs_while_other_jobs_read_and_other_connections_write(
    tmp_path: Path, seed_text: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The scheduler's jobs read while publishes write, and another connection writes: a
    publish's BEGIN must never meet an open read on its own connection (SQLite then says
    "locked" at once, busy timeout or not)."""
    caplog.set_level(logging.INFO)
    db = tmp_path / "bot.sqlite3"
    async with open_database(db) as database, open_db(db) as other:
        conn = database.reader  # test set-up writes and reads
        async with transaction(conn):
            for chat in range(1, 60):
                await upsert_chat(conn, chat, "private", f"reader{chat}", "zh")
        jobs = source(database, Settings(_env_file=None))  # type: ignore[call-arg]
        reporter = DeliveryReporter(database)
        ids = [
            await add_scheduled(
                conn, file_name="2021-01-05.md", content=seed_text, force=True, due_at=to_stamp(NOW)
            )
            for _ in range(3)
        ]
        writing = True

        async def writer() -> None:  # another process: a sender recording its sends
            while writing:
                await other.execute("UPDATE chats SET updated_at = ? WHERE id = 1", (str(NOW),))
                await asyncio.sleep(0)

        async def readers() -> None:  # the poll and the drain, as often as they can
            for _ in range(40):
                await asyncio.gather(
                    jobs.pending_publishes(), reporter.check(), jobs.next_delivery_at()
                )

        task = asyncio.create_task(writer())
        try:
            await asyncio.gather(readers(), *(jobs.fire_publish(id_) for id_ in ids))
        finally:
            writing = False
            await task
        rows = [await get_scheduled(conn, id_) for id_ in ids]
        assert [r.status for r in rows if r is not None] == ["done"] * 3
        assert len(events(caplog, "publish.fired")) == 3
        assert not events(caplog, "publish.waiting")  # never refused at once: locks waited on


async def test_busy_database_is_waited_out_and_the_publish_never_dropped(
    tmp_path: Path, seed_text: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    db = tmp_path / "bot.sqlite3"
    async with open_database(db, busy_timeout_ms=50) as database, open_db(db) as other:
        conn = database.reader  # test set-up writes and reads
        id_ = await add_scheduled(
            conn, file_name="2021-01-05.md", content=seed_text, force=True, due_at=to_stamp(NOW)
        )
        jobs = source(database, Settings(_env_file=None))  # type: ignore[call-arg]
        jobs.busy_patience_s = 0.2
        # Another process holds the write lock far longer than the busy timeout and the
        # job's patience.
        await other.execute("BEGIN IMMEDIATE")
        firing = asyncio.create_task(jobs.fire_publish(id_))
        async with asyncio.timeout(10):  # its patience ran out twice: it said so each time
            while len(events(caplog, "publish.waiting")) < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert not firing.done()  # still trying, not failed
        row = await get_scheduled(conn, id_)
        assert row is not None and row.status == "pending"
        await other.execute("COMMIT")
        await asyncio.wait_for(firing, 10)
        row = await get_scheduled(conn, id_)
        assert row is not None and row.status == "done" and "2021-01-05 new" in row.detail
        assert len(events(caplog, "publish.fired")) == 1


async def test_scheduled_revision_publishes_under_the_date_it_was_given(tmp_path: Path) -> None:
    # The heading says 2021-02-02, the file name 2021-02-09: without a date, refused.
    text = BROKEN.replace("<标题>", "标题") + "摘要：x\n"
    async with open_database(tmp_path / "bot.sqlite3") as database:
        conn = database.reader  # test set-up writes and reads
        undated = await add_scheduled(
            conn, file_name="2021-02-09.md", content=text, force=False, due_at=to_stamp(NOW)
        )
        dated = await add_scheduled(
            conn,
            file_name="2021-02-09.md",
            content=text,
            force=False,
            due_at=to_stamp(NOW),
            issue_date="2021-02-09",
        )
        jobs = source(database, Settings(_env_file=None))  # type: ignore[call-arg]
        await jobs.fire_publish(undated)
        refused = await get_scheduled(conn, undated)
        assert refused is not None and refused.status == "failed"
        assert "the heading says 2021-02-02 but the file name says 2021-02-09" in refused.detail
        await jobs.fire_publish(dated)
        done = await get_scheduled(conn, dated)
        assert done is not None and done.status == "done", done
        assert done.detail.startswith("2021-02-09 new: ")
        async with conn.execute("SELECT date FROM issues") as cur:
            assert [r[0] for r in await cur.fetchall()] == ["2021-02-09"]
