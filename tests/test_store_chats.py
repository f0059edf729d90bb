"""Chats, their settings and topics as the Telegram handlers and delivery use them."""

from __future__ import annotations

import aiosqlite
import pytest

from bot.store.base import StoreError
from bot.store.chats import (
    count_chats,
    get_chat,
    move_chat,
    set_status,
    update_settings,
    upsert_chat,
)
from bot.store.outbox import OutboxPart, count_by_status, enqueue
from bot.store.topics import (
    MAX_TOPICS,
    TopicError,
    active_chats_with_topics,
    add_topics,
    clear_topics,
    list_topics,
    remove_topic,
)
from bot.topics.filter import entry_matches
from tests.support.store import make_entry


async def test_new_chat_is_active_with_defaults_and_upsert_keeps_settings(
    db: aiosqlite.Connection,
) -> None:
    chat = await upsert_chat(db, 42, "private", "Ann", "en")
    assert (chat.status, chat.language, chat.delivery_time, chat.summary_mode) == (
        "active",
        "en",
        None,
        "full",
    )
    await update_settings(
        db,
        42,
        delivery_time="21:30",
        quiet_hours=("23:00", "07:00"),
        summary_mode="titles",
        link_previews=True,
        timezone="Europe/Berlin",
    )
    again = await upsert_chat(db, 42, "private", "Ann B.")
    assert (again.title, again.delivery_time, again.quiet_start, again.quiet_end) == (
        "Ann B.",
        "21:30",
        "23:00",
        "07:00",
    )
    assert (again.summary_mode, again.link_previews, again.timezone) == (
        "titles",
        True,
        "Europe/Berlin",
    )
    reset = await update_settings(db, 42, delivery_time=None, quiet_hours=None)
    assert (reset.delivery_time, reset.quiet_start) == (None, None)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"delivery_time": "25:00"}, "time like 08:00"),
        ({"quiet_hours": ("22:00", "7")}, "time like 08:00"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"summary_mode": "long"}, "summary mode"),
        ({"language": "fr"}, "zh or en"),
    ],
)
async def test_bad_settings_are_refused_with_one_sentence(
    db: aiosqlite.Connection, settings: dict[str, object], message: str
) -> None:
    await upsert_chat(db, 1, "group", "g")
    with pytest.raises(StoreError, match=message):
        await update_settings(db, 1, **settings)  # type: ignore[arg-type]
    assert (await get_chat(db, 1)) == (await upsert_chat(db, 1, "group", "g"))


async def test_status_changes_and_counts(db: aiosqlite.Connection) -> None:
    for chat_id in (1, 2, 3):
        await upsert_chat(db, chat_id, "private")
    assert await set_status(db, 2, "paused")
    assert await set_status(db, 3, "blocked")
    assert not await set_status(db, 99, "paused")
    assert await count_chats(db) == {"active": 1, "paused": 1, "blocked": 1}
    assert [chat.id for chat, _ in await active_chats_with_topics(db)] == [1]


async def test_topics_are_normalized_bounded_and_listed_with_active_chats(
    db: aiosqlite.Connection,
) -> None:
    await upsert_chat(db, 7, "supergroup", "群")
    topics = await add_topics(db, 7, ["ＮＣＮＮ", "壓縮", "-招聘", "  量化  "])
    assert [(t.term, t.display, t.exclude) for t in topics] == [
        ("ncnn", "ＮＣＮＮ", False),
        ("压缩", "壓縮", False),
        ("#hiring", "招聘", True),
        ("#quantization", "量化", False),
    ]
    include = [t.term for t in topics if not t.exclude]
    exclude = [t.term for t in topics if t.exclude]
    assert entry_matches(make_entry("ncnn 推理框架"), include, exclude)
    assert not entry_matches(make_entry("ncnn 招聘工程师", summary="招聘"), include, exclude)
    # a catalogue topic is one subscription however it is typed
    again = await add_topics(db, 7, ["INT8", "quantization"])
    assert [t.term for t in again].count("#quantization") == 1
    with pytest.raises(TopicError, match="at most 32 characters"):
        await add_topics(db, 7, ["量" * 33])
    with pytest.raises(TopicError, match="at least one character"):
        await add_topics(db, 7, ["-  "])
    with pytest.raises(TopicError, match=f"at most {MAX_TOPICS} topics"):
        await add_topics(db, 7, [f"topic{i}" for i in range(MAX_TOPICS)])
    assert len(await list_topics(db, 7)) == 4, "a refused batch adds nothing"
    assert await remove_topic(db, 7, "-招聘")
    assert not await remove_topic(db, 7, "招聘")
    [(chat, listed)] = await active_chats_with_topics(db)
    assert chat.id == 7 and [t.term for t in listed] == ["ncnn", "压缩", "#quantization"]
    assert await clear_topics(db, 7) == 3


async def test_migrated_group_keeps_topics_and_outbox(db: aiosqlite.Connection) -> None:
    await upsert_chat(db, -5, "group", "old")
    await add_topics(db, -5, ["量化"])
    await db.execute("INSERT INTO issues VALUES (1, '2021-01-05', 't', '', 'h', '2021', '2021')")
    assert await enqueue(db, 1, [OutboxPart(-5, 0, "<b>hi</b>")]) == 1
    await move_chat(db, -5, -1005)
    assert await get_chat(db, -5) is None
    assert (await get_chat(db, -1005)).type == "supergroup"  # type: ignore[union-attr]
    assert [t.term for t in await list_topics(db, -1005)] == ["#quantization"]
    assert (await count_by_status(db, 1))["pending"] == 1
    async with db.execute("SELECT chat_id FROM outbox") as cur:
        assert [r[0] for r in await cur.fetchall()] == [-1005]
