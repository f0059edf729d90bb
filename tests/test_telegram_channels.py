"""/channel: a reader subscribes a channel they administer, manages it from the private
chat, and the channel gets the digests its own topics select — end to end against the
emulator (whose channels have administrators and the bot's own membership)."""

from __future__ import annotations

from bot.delivery.enqueue import enqueue_issue
from bot.store.chats import get_chat
from bot.store.issues import ingest_issue
from bot.store.topics import list_topics
from tests.support.delivery import DeliveryRig
from tests.support.store import make_entry, make_issue
from tests.support.telegram import BotHarness, buttons

OWNER, STRANGER = 701, 702
CHANNEL = -1001000701


async def test_an_admin_subscribes_their_channel_which_gets_its_topics(
    telegram: BotHarness,
) -> None:
    owner = await telegram.private(OWNER, language_code="zh")
    await telegram.emulator.add_chat(
        CHANNEL, "channel", title="我的频道", username="mychan", admins=[OWNER]
    )
    reply = await telegram.ask(owner, "/channel @mychan 量化")
    assert "✅ 已为频道 我的频道 订阅" in reply and "已添加：量化" in reply
    row = await get_chat(telegram.db, CHANNEL)
    assert row is not None
    assert (row.type, row.status, row.owner_id, row.language) == ("channel", "active", OWNER, "zh")
    assert [x.display for x in await list_topics(telegram.db, CHANNEL)] == ["量化"]
    assert await get_chat(telegram.db, owner) is None  # the private chat did not subscribe

    issue = make_issue(
        "2021-01-05",
        make_entry("NCNN 的 INT8 量化实践", url="https://example.com/int8", summary="量化与校准"),
        make_entry("某公司融资新闻", url="https://example.com/money", summary="一轮融资"),
    )
    ingested = await ingest_issue(telegram.db, issue, "h", "x")
    await enqueue_issue(telegram.db, ingested.issue_id, issue, default_tz="Asia/Shanghai")
    await telegram.db.commit()
    await DeliveryRig(telegram.db, telegram.settings.db, telegram.emulator).drain()
    posted = await telegram.messages(CHANNEL)
    assert posted and all(m["chat_id"] == CHANNEL for m in posted)
    text = "\n".join(m["plain"] for m in posted)
    assert "INT8 量化实践" in text and "融资" not in text

    # Managed from the private chat: the panel, the summary mode, ✕ a topic, remove.
    [listing] = await telegram.say(owner, "/channel")
    assert "我的频道" in listing["plain"] and "摘要：精简" in listing["plain"]
    labels = dict(buttons(listing))
    await telegram.press(owner, labels["完整"], message_id=listing["message_id"])
    row = await get_chat(telegram.db, CHANNEL)
    assert row is not None and row.summary_mode == "full"
    await telegram.press(owner, labels["🔕 静音推送"], message_id=listing["message_id"])
    row = await get_chat(telegram.db, CHANNEL)
    assert row is not None and row.silent
    panel = await telegram.message(owner, listing["message_id"])
    assert "通知：静音（不响铃）" in panel["plain"] and "摘要：完整" in panel["plain"]
    await telegram.press(owner, labels["✕ 量化"], message_id=listing["message_id"])
    assert await list_topics(telegram.db, CHANNEL) == []
    await telegram.press(owner, labels["🗑 取消订阅频道"], message_id=listing["message_id"])
    row = await get_chat(telegram.db, CHANNEL)
    assert row is not None and row.status == "paused" and row.owner_id is None
    assert "还没有订阅任何频道" in await telegram.ask(owner, "/channel")


async def test_channel_is_refused_unless_both_the_user_and_the_bot_are_admins(
    telegram: BotHarness,
) -> None:
    stranger = await telegram.private(STRANGER, language_code="zh")
    await telegram.emulator.add_chat(
        CHANNEL, "channel", title="别人的频道", username="theirs", admins=[OWNER]
    )
    assert await telegram.ask(stranger, "/channel @theirs") == (
        "只有频道 @theirs 的管理员可以为它订阅。"
    )
    await telegram.emulator.add_chat(
        CHANNEL - 1,
        "channel",
        title="没加机器人",
        username="nobot",
        admins=[STRANGER],
        bot_status="left",
    )
    refused = await telegram.ask(stranger, "/channel @nobot")
    assert refused.startswith("机器人还不是频道 @nobot 的管理员")
    assert "找不到频道 @nothere" in await telegram.ask(stranger, "/channel @nothere")
    group = await telegram.group(-1000702, admins=[STRANGER])
    assert "不是频道" in await telegram.ask(stranger, "/channel -1000702")
    assert "私聊" in await telegram.ask(group, "/channel @theirs", user_id=STRANGER)
    for chat_id in (CHANNEL, CHANNEL - 1):
        assert await get_chat(telegram.db, chat_id) is None
