"""Enqueueing: delivery times, quiet hours, one render per combination, channel, threads."""

from __future__ import annotations

from datetime import UTC, datetime

import aiosqlite
import pytest

from bot.delivery.enqueue import EnqueueResult, channel_chat_id, enqueue_issue
from bot.delivery.timing import next_delivery
from bot.digest.model import Issue
from bot.render.digest import render_digest
from bot.store.chats import update_settings, upsert_chat
from bot.store.db import transaction
from bot.store.issues import ingest_issue
from bot.store.topics import add_topics
from tests.support.delivery import DeliveryRig

NOON_UTC = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai


@pytest.mark.parametrize(
    ("zone", "at", "quiet", "expected"),
    [
        ("Asia/Shanghai", None, None, "2026-03-10 12:00"),  # immediately
        ("Asia/Shanghai", "21:30", None, "2026-03-10 13:30"),  # later today
        ("Asia/Shanghai", "08:00", None, "2026-03-11 00:00"),  # passed: tomorrow
        ("Europe/Berlin", "08:00", None, "2026-03-11 07:00"),
        ("Asia/Shanghai", None, ("19:00", "23:00"), "2026-03-10 15:00"),  # quiet until 23:00
        ("Asia/Shanghai", None, ("22:00", "07:00"), "2026-03-10 12:00"),  # 20:00 not quiet
        ("Asia/Shanghai", "23:30", ("22:00", "07:00"), "2026-03-10 23:00"),  # wraps midnight
        ("Asia/Shanghai", None, ("09:00", "09:00"), "2026-03-10 12:00"),  # empty window
    ],
)
def test_next_delivery(
    zone: str, at: str | None, quiet: tuple[str, str] | None, expected: str
) -> None:
    assert next_delivery(NOON_UTC, zone, at, quiet).strftime("%Y-%m-%d %H:%M") == expected


def test_channel_ids() -> None:
    assert channel_chat_id("-1001234") == (-1001234, None)
    chat_id, name = channel_chat_id("digest_news")
    assert name == "@digest_news" and chat_id < -(2**52)
    assert channel_chat_id("@Digest_News")[0] == chat_id


async def _publish(
    conn: aiosqlite.Connection, issue: Issue, channel: str | None = None
) -> EnqueueResult:
    async with transaction(conn):
        done = await ingest_issue(conn, issue, "hash", "text")
        return await enqueue_issue(
            conn, done.issue_id, issue, default_tz="Asia/Shanghai", now=NOON_UTC, channel=channel
        )


async def test_one_render_per_combination_and_not_before_per_chat(
    db: aiosqlite.Connection, shapes_issue: Issue
) -> None:
    async with transaction(db):
        for n in range(300):
            await upsert_chat(db, n + 1, "private", None, "en" if n % 3 == 0 else "zh")
            if n % 2:
                await add_topics(db, n + 1, ["NPU"])
        await update_settings(db, 1, delivery_time="08:00")
        await update_settings(db, 2, quiet_hours=("19:00", "23:00"))
        await upsert_chat(db, 999, "group", "paused group")
        await db.execute("UPDATE chats SET status = 'paused' WHERE id = 999")
    result = await _publish(db, shapes_issue)
    assert result.renders == 4  # (zh, en) x (all, NPU): not 300
    assert result.chats == 300 and result.deferred == 2
    async with db.execute(
        "SELECT chat_id, min(not_before), count(*) FROM outbox GROUP BY chat_id"
    ) as cur:
        rows = {r[0]: (r[1], r[2]) for r in await cur.fetchall()}
    assert 999 not in rows  # paused chats get nothing
    assert rows[1][0] == "2026-03-11 00:00:00"
    assert rows[2][0] == "2026-03-10 15:00:00"
    assert rows[3][0] == "2026-03-10 12:00:00"
    async with db.execute("SELECT count(*) FROM outbox_texts") as cur:
        texts = (await cur.fetchone() or [0])[0]
    assert texts == sum(
        len(render_digest(shapes_issue, lang=lang, include=inc, topic_labels=inc))
        for lang in ("zh", "en")
        for inc in ([], ["NPU"])
    )


async def test_channel_gets_the_full_digest_once(
    db: aiosqlite.Connection, shapes_issue: Issue
) -> None:
    await _publish(db, shapes_issue, channel="@digest_news")
    chat_id, _ = channel_chat_id("@digest_news")
    async with db.execute(
        "SELECT c.type, c.title, count(o.id) FROM chats c JOIN outbox o ON o.chat_id = c.id"
        " WHERE c.id = ?",
        (chat_id,),
    ) as cur:
        row = await cur.fetchone()
    assert row is not None and tuple(row) == (
        "channel",
        "@digest_news",
        len(render_digest(shapes_issue)),
    )


async def test_forum_thread_is_used(delivery: DeliveryRig, shapes_issue: Issue) -> None:
    forum = await delivery.reader(-1005, "supergroup", thread_id=77)
    await delivery.publish(shapes_issue)
    await delivery.drain()
    got = await delivery.emulator.messages(forum)
    assert got and {m["thread_id"] for m in got} == {77}
