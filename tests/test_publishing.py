"""The one publish pipeline (bot.publishing) on a real database: who gets what, dry runs."""

from __future__ import annotations

import aiosqlite

from bot.config import Settings
from bot.publishing.pipeline import publish_issue
from bot.store.chats import upsert_chat
from bot.store.database import Database
from bot.store.topics import add_topics
from tests.support.store import make_entry, make_issue

QUANT = make_entry("低比特量化综述", url="https://a.example/1", summary="量化到4比特。")
NCNN = make_entry("NCNN 推理框架更新", section="开源", url="https://b.example/2")
CHIP = make_entry("端侧芯片发布", section="业界新闻", url="https://c.example/3")
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]


async def _readers(db: aiosqlite.Connection) -> None:
    """Five active chats: everything, 量化 twice, 招聘 (matches nothing), all but 量化."""
    for chat_id, topics in ((1, []), (2, ["量化"]), (3, ["量化"]), (4, ["招聘"]), (5, ["-量化"])):
        await upsert_chat(db, chat_id, "private", f"chat {chat_id}")
        if topics:
            await add_topics(db, chat_id, topics)


async def _count(db: aiosqlite.Connection, table: str) -> int:
    async with db.execute(f"SELECT count(*) FROM {table}") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_dry_run_reports_who_would_get_it_and_writes_nothing(
    db: aiosqlite.Connection, database: Database
) -> None:
    await _readers(db)
    issue = make_issue("2021-01-05", QUANT, NCNN)
    published = await publish_issue(database, issue, repr(issue), SETTINGS, dry_run=True)
    assert published.ingested.status == "new"
    assert [e.title for e in published.to_send] == [QUANT.title, NCNN.title]
    assert (published.chats, published.chats_served) == (5, 4)  # not the 招聘 chat
    assert published.queued is not None and published.queued.chats == 4
    assert await _count(db, "issues") == 0 and await _count(db, "outbox") == 0


async def test_publish_then_revise_then_repeat(
    db: aiosqlite.Connection, database: Database
) -> None:
    await _readers(db)
    first = make_issue("2021-01-05", QUANT, NCNN)
    published = await publish_issue(database, first, repr(first), SETTINGS)
    assert published.queued is not None and published.queued.chats == published.chats_served
    assert await _count(db, "issues") == 1 and await _count(db, "outbox") > 0

    revised = make_issue("2021-01-05", QUANT, NCNN, CHIP)
    update = await publish_issue(database, revised, repr(revised), SETTINGS)
    assert update.ingested.status == "updated"
    assert [e.title for e in update.to_send] == [CHIP.title]
    assert update.chats_served == 2  # the chat taking everything, and the one excluding 量化

    again = await publish_issue(database, revised, repr(revised), SETTINGS)
    assert again.ingested.status == "unchanged"
    assert again.to_send == () and again.queued is None and again.chats_served == 0
