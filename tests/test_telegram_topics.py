"""/topic, /untopic, /topics and the ✕ / clear-all buttons, end to end."""

from __future__ import annotations

import aiosqlite

from bot.store.issues import ingest_issue
from bot.store.topics import list_topics
from bot.telegram.callbacks import TopicAction
from tests.support.store import make_entry, make_issue
from tests.support.telegram import BotHarness, buttons


async def seed_latest(db: aiosqlite.Connection) -> None:
    old = make_issue("2020-12-20", make_entry("旧的一期：量化", url="https://example.com/old"))
    await ingest_issue(db, old, "h-old", "old")
    issue = make_issue(
        "2021-01-05",
        make_entry("低比特量化新方法", url="https://example.com/1", summary="int8 量化"),
        make_entry("NCNN 发布新版本", url="https://example.com/2", section="开源"),
        make_entry("模型剪枝综述", url="https://example.com/3", summary="剪枝与蒸馏"),
        make_entry("某公司招聘量化工程师", url="https://example.com/4", section="业界新闻"),
    )
    await ingest_issue(db, issue, "h-new", "new")


async def test_topic_adds_several_and_counts_matches_in_latest(telegram: BotHarness) -> None:
    await seed_latest(telegram.db)
    chat = await telegram.private(301)
    reply = await telegram.say(chat, "/topic 量化, NCNN 剪枝")
    text = reply[0]["plain"]
    assert "已添加" in text and "量化" in text and "NCNN" in text and "剪枝" in text
    assert "最新一期（2021-01-05）有 4/4 条" in text
    stored = await list_topics(telegram.db, chat)
    assert [(t.display, t.exclude) for t in stored] == [
        ("量化", False),
        ("NCNN", False),
        ("剪枝", False),
    ]
    excluded = await telegram.say(chat, "/topic -招聘")
    assert "排除：招聘" in excluded[0]["plain"]
    assert "有 3/4 条" in excluded[0]["plain"]
    labels = [label for label, _ in buttons(excluded[0])]
    assert labels == ["✕ 量化", "✕ NCNN", "✕ 剪枝", "✕ -招聘", "🗑 清空全部"]


async def test_untopic_and_buttons_remove_and_clear(telegram: BotHarness) -> None:
    chat = await telegram.private(302, language_code="en")
    await telegram.say(chat, "/topic quantization pruning")
    reply = await telegram.say(chat, "/untopic pruning nothing")
    assert "Removed: pruning" in reply[0]["plain"]
    assert "Not in your topics: nothing" in reply[0]["plain"]
    first = (await telegram.say(chat, "/topics"))[0]
    second = (await telegram.say(chat, "/topics"))[0]
    (label, data), _clear = buttons(first)
    assert label == "✕ quantization"
    await telegram.press(chat, data, message_id=first["message_id"])
    assert await list_topics(telegram.db, chat) == []
    edited = next(
        m for m in await telegram.messages(chat) if m["message_id"] == first["message_id"]
    )
    assert "No topics yet" in edited["plain"] and edited["edits"]
    # the same ✕ on an older message: that topic is gone, so the page has expired
    await telegram.press(chat, data, message_id=second["message_id"])
    answers = await telegram.callback_answers(chat)
    assert answers[-1]["answer"]["text"] == "This page has expired; please send the command again."
    await telegram.say(chat, "/topic a b")
    listing = await telegram.say(chat, "/topics")
    await telegram.press(chat, buttons(listing[0])[-1][1])
    assert await list_topics(telegram.db, chat) == []


async def test_topic_limits_are_enforced_politely(telegram: BotHarness) -> None:
    chat = await telegram.private(303)
    long = "长" * 33
    reply = await telegram.say(chat, "/topic " + " ".join(f"t{i}" for i in range(22)) + " " + long)
    text = reply[0]["plain"]
    assert "最多 32 个字符，已跳过：" + long in text
    assert "最多 20 个话题，已跳过：t20、t21" in text
    assert len(await list_topics(telegram.db, chat)) == 20
    huge = await telegram.say(chat, "/topic " + "x" * 600)
    assert "参数太长" in huge[0]["plain"]
    usage = await telegram.say(chat, "/topic")
    assert "用法" in usage[0]["plain"]


async def test_topics_are_escaped_and_normalized(telegram: BotHarness) -> None:
    chat = await telegram.private(304)
    reply = await telegram.say(chat, '/topic <b>x</b> "a&b" ＮＣＮＮ')
    text = reply[0]["plain"]
    assert "<b>x</b>" in text and "a&b" in text
    stored = await list_topics(telegram.db, chat)
    assert [t.term for t in stored] == ["<b>x</b>", "a&b", "ncnn"]
    again = await telegram.say(chat, "/topic ncnn")
    assert len(await list_topics(telegram.db, chat)) == 3  # same topic after normalization
    assert again


async def test_button_data_fits_telegram_limits() -> None:
    data = TopicAction(op="rm", key="ffffffff").pack()
    assert len(data.encode()) <= 64


async def test_zero_width_characters_do_not_make_a_topic_that_never_matches(
    telegram: BotHarness,
) -> None:
    await seed_latest(telegram.db)
    chat = await telegram.private(305)
    reply = await telegram.say(chat, "/topic 量\u200b化 \ufeff剪\u2060枝\x00")
    assert "有 3/4 条" in reply[0]["plain"]
    stored = await list_topics(telegram.db, chat)
    assert [(t.term, t.display) for t in stored] == [("量化", "量化"), ("剪枝", "剪枝")]
    assert await telegram.ask(chat, "/topic \u200b\u200c\u200d") == await telegram.ask(
        chat, "/topic"
    )
