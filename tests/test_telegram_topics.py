"""/topic, /untopic, /topics and the ✕ / clear-all buttons, end to end."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from bot.digest.parse import parse_issue
from bot.publishing.pipeline import publish_issue
from bot.store.issues import ingest_issue
from bot.store.topics import list_topics
from bot.telegram.callbacks import TopicAction
from bot.topics.catalog import load_catalog
from tests.support.delivery import DeliveryRig
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
    assert "已关注：量化 — 含 模型量化、INT8、低比特、二值网络、BNN…" in text
    assert "已关注：剪枝 — 含" in text
    assert "最近 2 期中有 3/5 条与它相关" in text  # 量化 in both issues
    assert "已添加关键词：NCNN（不在主题目录中，按原文匹配）" in text
    assert "最新一期（2021-01-05）有 4/4 条" in text
    stored = await list_topics(telegram.db, chat)
    assert [(t.term, t.display, t.exclude) for t in stored] == [
        ("#quantization", "量化", False),
        ("ncnn", "NCNN", False),
        ("#pruning", "剪枝", False),
    ]
    excluded = await telegram.say(chat, "/topic -招聘")
    assert "已排除：招聘" in excluded[0]["plain"]
    assert "排除：招聘" in excluded[0]["plain"]
    assert "有 3/4 条" in excluded[0]["plain"]
    labels = [label for label, _ in buttons(excluded[0])]
    assert labels[:3] == ["✓ 量化", "✓ 剪枝", "蒸馏"]
    assert "🚫 招聘" in labels
    assert labels[-2:] == ["✕ NCNN", "🗑 清空全部"]
    assert len(labels) == len(load_catalog().topics) + 2


async def test_every_name_of_a_topic_is_one_subscription(telegram: BotHarness) -> None:
    await seed_latest(telegram.db)
    chat = await telegram.private(305, language_code="en")
    first = (await telegram.say(chat, "/topic quantization"))[0]["plain"]
    assert "Following: quantization — covers quantisation, quantize, INT8, low-bit, BNN…" in first
    assert "3 of 5 entries of the last 2 issues are about it." in first
    for typed in ("量化", "INT8", "Quantisation", "#quantization"):
        again = (await telegram.say(chat, f"/topic {typed}"))[0]["plain"]
        assert "Already following: quantization" in again, typed
    assert [t.term for t in await list_topics(telegram.db, chat)] == ["#quantization"]
    # an exclusion of the same topic replaces the subscription; /untopic takes any alias
    await telegram.say(chat, "/topic -INT8")
    assert [(t.term, t.exclude) for t in await list_topics(telegram.db, chat)] == [
        ("#quantization", True)
    ]
    gone = (await telegram.say(chat, "/untopic 低比特"))[0]["plain"]
    assert "Removed: 低比特" in gone
    assert await list_topics(telegram.db, chat) == []


async def test_unknown_word_is_added_as_a_keyword_with_suggestions(telegram: BotHarness) -> None:
    chat = await telegram.private(306)
    text = (await telegram.say(chat, "/topic 量化感知"))[0]["plain"]
    assert "已添加关键词：量化感知（不在主题目录中，按原文匹配）" in text
    assert "与“量化感知”相近的主题：量化" in text
    assert [t.term for t in await list_topics(telegram.db, chat)] == ["量化感知"]


async def test_catalogue_buttons_follow_and_unfollow(telegram: BotHarness) -> None:
    await seed_latest(telegram.db)
    chat = await telegram.private(307, language_code="en")
    listing = (await telegram.say(chat, "/topics"))[0]
    assert "No topics yet" in listing["plain"] and "Tap a topic" in listing["plain"]
    by_label = dict(buttons(listing))
    assert "quantization" in by_label and "🗑 Clear all" not in by_label
    await telegram.press(chat, by_label["pruning"], message_id=listing["message_id"])
    assert [t.term for t in await list_topics(telegram.db, chat)] == ["#pruning"]
    edited = await telegram.message(chat, listing["message_id"])
    assert "Following: pruning — covers" in edited["plain"]
    assert "✓ pruning" in dict(buttons(edited))
    await telegram.press(chat, by_label["pruning"], message_id=listing["message_id"])
    assert await list_topics(telegram.db, chat) == []
    edited = await telegram.message(chat, listing["message_id"])
    assert "Removed: pruning" in edited["plain"]
    for data in dict(buttons(edited)).values():
        assert len(data.encode()) <= 64


async def test_untopic_and_buttons_remove_and_clear(telegram: BotHarness) -> None:
    chat = await telegram.private(302, language_code="en")
    await telegram.say(chat, "/topic ncnn mnnx pruning")
    reply = await telegram.say(chat, "/untopic pruning nothing")
    assert "Removed: pruning" in reply[0]["plain"]
    assert "Not in your topics: nothing" in reply[0]["plain"]
    first = (await telegram.say(chat, "/topics"))[0]
    second = (await telegram.say(chat, "/topics"))[0]
    words = [(label, data) for label, data in buttons(first) if label.startswith("✕")]
    assert [label for label, _ in words] == ["✕ ncnn", "✕ mnnx"]
    await telegram.press(chat, words[0][1], message_id=first["message_id"])
    assert [t.term for t in await list_topics(telegram.db, chat)] == ["mnnx"]
    edited = next(
        m for m in await telegram.messages(chat) if m["message_id"] == first["message_id"]
    )
    assert "Removed: ncnn" in edited["plain"] and edited["edits"]
    # the same ✕ on an older message: that word is gone, so the page has expired
    await telegram.press(chat, words[0][1], message_id=second["message_id"])
    answers = await telegram.callback_answers(chat)
    assert answers[-1]["answer"]["text"] == "This page has expired; please send the command again."
    await telegram.say(chat, "/topic a b")
    listing = (await telegram.say(chat, "/topics"))[0]
    clear = dict(buttons(listing))["🗑 Clear all"]
    await telegram.press(chat, clear, message_id=listing["message_id"])
    asked = await telegram.message(chat, listing["message_id"])
    assert "Clear all 3 topics?" in asked["plain"]  # mnnx, a, b: nothing cleared yet
    assert len(await list_topics(telegram.db, chat)) == 3
    await telegram.press(chat, dict(buttons(asked))["Cancel"], message_id=listing["message_id"])
    kept = await telegram.message(chat, listing["message_id"])
    assert "🗑 Clear all" in dict(buttons(kept)) and len(await list_topics(telegram.db, chat)) == 3
    await telegram.press(chat, clear, message_id=listing["message_id"])
    asked = await telegram.message(chat, listing["message_id"])
    await telegram.press(
        chat, dict(buttons(asked))["🗑 Yes, clear"], message_id=listing["message_id"]
    )
    assert await list_topics(telegram.db, chat) == []
    assert "All topics cleared." in (await telegram.message(chat, listing["message_id"]))["plain"]


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


async def test_a_topic_without_letters_or_digits_is_skipped_and_said_so(
    telegram: BotHarness,
) -> None:
    chat = await telegram.private(305)
    reply = await telegram.say(chat, "/topic -- # 量化")
    text = reply[0]["plain"]
    assert "话题至少要有一个字母、汉字或数字，已跳过：--、#" in text and "最多 32" not in text
    assert [t.term for t in await list_topics(telegram.db, chat)] == ["#quantization"]


async def test_topics_are_escaped_and_normalized(telegram: BotHarness) -> None:
    chat = await telegram.private(304)
    reply = await telegram.say(chat, '/topic <b>x</b> "a&b" ＮＣＮＮ')
    text = reply[0]["plain"]
    assert "<b>x</b>" in text and "a&b" in text
    stored = await list_topics(telegram.db, chat)
    assert [t.term for t in stored] == ["<b>x</b>", "a&b", "ncnn"]  # not catalogue topics
    again = await telegram.say(chat, "/topic ncnn")
    assert len(await list_topics(telegram.db, chat)) == 3  # same topic after normalization
    assert again


async def test_button_data_fits_telegram_limits() -> None:
    data = TopicAction(op="rm", key="ffffffff").pack()
    assert len(data.encode()) <= 64
    for topic in load_catalog().topics:
        assert len(TopicAction(op="tg", key=topic.slug).pack().encode()) <= 64


FIXTURE = Path(__file__).resolve().parent / "fixtures" / "topics" / "delivery.md"


async def test_a_reader_of_quantization_gets_int8_and_bnn_but_not_lightweight(
    telegram: BotHarness, delivery: DeliveryRig
) -> None:
    """Issue 12's "done when": /topic quantization, then a published issue is delivered."""
    chat = await telegram.private(310, language_code="en")
    await telegram.say(chat, "/start")
    await telegram.say(chat, "/topic quantization")
    text = FIXTURE.read_text(encoding="utf-8")
    issue = parse_issue(text, filename=FIXTURE.name)
    published = await publish_issue(telegram.database, issue, text, telegram.settings)
    assert published.chats_served == 1
    await delivery.drain()
    sent = [m for m in await telegram.messages(chat) if "Filtered by" in m["plain"]]
    assert len(sent) == 1
    plain = sent[0]["plain"]
    assert "Filtered by your topics: quantization · 3/6 entries" in plain
    assert "丁公司手机芯片跑通 INT8 推理 〔quantization〕" in plain  # only says INT8
    assert "二值网络在微控制器上的实践 〔quantization〕" in plain  # only says 二值网络
    assert "训练后量化的误差分析" in plain
    assert "轻量化" not in plain  # 轻量化 (lightweight) is not 量化
    assert "融资" not in plain


async def test_zero_width_characters_do_not_make_a_topic_that_never_matches(
    telegram: BotHarness,
) -> None:
    await seed_latest(telegram.db)
    chat = await telegram.private(305)
    reply = await telegram.say(chat, "/topic 量\u200b化 \ufeff剪\u2060枝\x00")
    assert "有 3/4 条" in reply[0]["plain"]
    stored = await list_topics(telegram.db, chat)
    assert [(t.term, t.display) for t in stored] == [
        ("#quantization", "量化"),
        ("#pruning", "剪枝"),
    ]
    assert await telegram.ask(chat, "/topic \u200b\u200c\u200d") == await telegram.ask(
        chat, "/topic"
    )
