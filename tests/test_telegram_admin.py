"""Admin commands: /stats, and /publish of an uploaded issue (lint, preview, Confirm)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot.store.issues import get_issue, list_issues
from bot.store.outbox import count_by_status
from bot.telegram.routers.admin import MAX_UPLOAD_KB, check
from tests.support.telegram import ADMIN_ID, BotHarness, buttons

ISSUE = """# 嵌入式AI简报 (2021-02-01)

**关注模型压缩、低比特量化、移动端推理加速优化、部署**

> 导读：本次2条。

## 论文

- [低比特量化新方法 & int8 | 机器之心](https://example.com/a)
摘要：一种 int8 量化方法。

## 开源项目

- [NCNN 新版本 | 腾讯](https://example.com/b)
摘要：移动端推理框架更新。
"""


def upload(name: str, content: str) -> dict[str, str]:
    return {"file_name": name, "content": content}


async def test_stats_are_for_bot_admins_only(telegram: BotHarness) -> None:
    user = await telegram.private(901)
    await telegram.say(user, "/start")
    assert await telegram.ask(user, "/stats") == "这个命令只对机器人管理员开放。"
    admin = await telegram.private(ADMIN_ID, language_code="en")
    stats = await telegram.ask(admin, "/stats")
    assert "Subscribed chats: 1" in stats and "Issues: 0" in stats
    assert "Messages: 0 sent, 0 pending, 0 failed" in stats


async def test_publish_with_caption_lints_previews_and_waits_for_confirm(
    telegram: BotHarness,
) -> None:
    subscriber = await telegram.private(902)
    await telegram.say(subscriber, "/start")
    admin = await telegram.private(ADMIN_ID)
    replies = await telegram.send(admin, text="/publish", document=upload("2021-02-01.md", ISSUE))
    report, preview, question = (m["plain"] for m in replies)
    assert report.startswith("嵌入式AI简报（2021-02-01）\n2 条；错误 0，警告 0")
    assert "低比特量化新方法 & int8" in preview
    assert await get_issue(telegram.db, "2021-02-01") is None  # nothing before Confirm
    confirm, cancel = buttons(replies[-1])
    assert (confirm[0], cancel[0]) == ("✅ 确认发布", "取消")
    done = await telegram.press(admin, confirm[1])
    assert done[0]["plain"] == (
        "✅ 已发布 2021-02-01：新的一期，2 条。\n"
        "排队发送：1 条新消息、0 处修改，发往 1 个聊天（其中 0 个等待各自的推送时间）。"
    )
    stored = await get_issue(telegram.db, "2021-02-01")
    assert stored is not None and len(stored.issue.entries) == 2
    assert (await count_by_status(telegram.db, stored.id))["pending"] == 1  # the subscriber
    assert "已发送 0，待发送 1，失败 0" in await telegram.ask(admin, "/stats")
    assert buttons(await telegram.message(admin, replies[-1]["message_id"])) == []
    assert question


@pytest.fixture
def draft(seed_path: Path) -> str:
    """The seed issue: a draft whose title still holds <标题> placeholders."""
    return seed_path.read_text(encoding="utf-8")


async def test_publish_refuses_what_it_cannot_use(telegram: BotHarness, draft: str) -> None:
    admin = await telegram.private(ADMIN_ID, language_code="en")
    assert "caption" in await telegram.ask(admin, "/publish")
    assert await telegram.send(admin, document=upload("a.md", ISSUE)) == []  # no caption: no-op
    refused = await telegram.send(admin, text="/publish", document=upload("notes.txt", "hello"))
    assert refused[0]["plain"] == "Only a UTF-8 .md file of at most 512 KB can be published."
    binary = {"file_name": "b.md", "content_base64": "//79/Q=="}
    assert await telegram.send(admin, text="/publish", document=binary) != []
    assert "UTF-8" in (await telegram.messages(admin))[-1]["plain"]
    blocked = await telegram.send(admin, text="/publish", document=upload("2021-01-05.md", draft))
    text = "\n".join(m["plain"] for m in blocked)
    assert "placeholder" in text and "There are errors" in text
    assert all(buttons(m) == [] for m in blocked)
    assert await list_issues(telegram.db) == []


async def test_cancel_and_expired_confirm(telegram: BotHarness) -> None:
    admin = await telegram.private(ADMIN_ID)
    first = await telegram.send(admin, text="/publish", document=upload("x.md", ISSUE))
    _confirm, cancel = buttons(first[-1])
    assert "已取消" in (await telegram.press(admin, cancel[1]))[0]["plain"]
    assert await list_issues(telegram.db) == []
    second = await telegram.send(admin, text="/publish", document=upload("x.md", ISSUE))
    telegram.dp["uploads"]._items.clear()  # the bot restarted since
    await telegram.press(admin, buttons(second[-1])[0][1])
    answers = await telegram.callback_answers(admin)
    assert answers[-1]["answer"]["text"] == "此页面已过期，请重新发送命令。"
    assert await list_issues(telegram.db) == []
    user = await telegram.private(903)
    assert await telegram.ask(user, "/publish") == "这个命令只对机器人管理员开放。"


async def test_publish_as_a_reply_to_an_uploaded_issue(telegram: BotHarness) -> None:
    admin = await telegram.private(ADMIN_ID, language_code="en")
    upload_update = await telegram.emulator.send_update(
        admin, document=upload("2021-02-01.md", ISSUE)
    )
    await telegram.tracker.wait_for(upload_update["update_id"])
    uploaded_id = upload_update["message"]["message_id"]
    replies = await telegram.say(admin, "/publish", reply_to_message_id=uploaded_id)
    assert "2021-02-01" in replies[0]["plain"]
    assert "NCNN 新版本" in "\n".join(m["plain"] for m in replies)
    confirm, _cancel = buttons(replies[-1])
    await telegram.press(admin, confirm[1])
    stored = await get_issue(telegram.db, "2021-02-01")
    assert stored is not None and len(stored.issue.entries) == 2


async def test_publish_report_is_translated_and_says_when_nothing_changed(
    telegram: BotHarness,
) -> None:
    subscriber = await telegram.private(904)
    await telegram.say(subscriber, "/start")
    for lang, first, unchanged in (
        ("en", "✅ Published 2021-02-01: a new issue with 2 entries.", "unchanged, nothing sent"),
        ("zh", None, "没有变化，未发送任何消息"),
    ):
        admin = await telegram.private(ADMIN_ID, language_code=lang)
        replies = await telegram.send(
            admin, text="/publish", document=upload("2021-02-01.md", ISSUE)
        )
        done = (await telegram.press(admin, buttons(replies[-1])[0][1]))[0]["plain"]
        if first is not None:
            assert done == (
                f"{first}\nQueued: 1 new messages and 0 edits for 1 chats"
                " (0 waiting for their delivery time)."
            )
        else:  # the second upload is identical: nothing was sent, and it says so
            assert done == "ℹ️ 2021-02-01 与已发布的版本相同：没有变化，未发送任何消息。"
            assert unchanged in done and "已发布：" not in done


async def test_publish_refuses_a_heading_date_that_differs_from_the_file_name(
    telegram: BotHarness,
) -> None:
    admin = await telegram.private(ADMIN_ID, language_code="en")
    replies = await telegram.send(admin, text="/publish", document=upload("2021-02-05.md", ISSUE))
    text = "\n".join(m["plain"] for m in replies)
    assert "date-mismatch" in text and "There are errors" in text
    assert all(buttons(m) == [] for m in replies)
    assert await list_issues(telegram.db) == []


def big_issue(sections: int) -> str:
    """A long issue of many one-entry sections (~150 bytes each)."""
    body = "".join(
        f"## 栏目{n}\n\n- [标题{n} | 来源](https://example.com/{n})\n摘要：{'内容' * 12}\n\n"
        for n in range(sections)
    )
    return "# 嵌入式AI简报 (2021-02-01)\n\n> 导读：本次2条。\n\n" + body


async def test_other_chats_are_answered_while_a_big_upload_is_checked(
    telegram: BotHarness,
) -> None:
    """Parse, lint and preview of an upload run off the event loop: the loop never stalls
    for long, and another chat's /help is answered meanwhile."""
    admin = await telegram.private(ADMIN_ID, language_code="en")
    user = await telegram.private(4242, language_code="en")
    text = big_issue(3000)
    assert 400 * 1024 < len(text.encode("utf-8")) < MAX_UPLOAD_KB * 1024
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    check(text, "2021-02-01.md", "en")  # the same work, on the loop: how long it takes
    checking = time.perf_counter() - started

    stalls: list[float] = []

    async def ticker() -> None:
        last = loop.time()
        while True:
            await asyncio.sleep(0.005)
            now = loop.time()
            stalls.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    update = await telegram.emulator.send_update(
        admin, text="/publish", document=upload("2021-02-01.md", text)
    )
    helped = 0
    while update["update_id"] not in telegram.tracker.done:
        assert "/start" in await telegram.ask(user, "/help")
        helped += 1
    ticking.cancel()
    await telegram.tracker.wait_for(update["update_id"], within=60)
    assert helped >= 1
    assert max(stalls) < checking / 2, (max(stalls), checking)
    replies = [m["plain"] for m in await telegram.messages(admin)]
    assert any("3000 entries" in r for r in replies), replies[:1]


async def test_a_check_past_its_time_bound_publishes_nothing(
    telegram: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound is a setting of the handler; at zero every check is too slow."""
    from bot.telegram.routers import admin as admin_router

    monkeypatch.setattr(admin_router, "CHECK_SECONDS", 0.0)
    admin = await telegram.private(ADMIN_ID, language_code="en")
    replies = await telegram.send(admin, text="/publish", document=upload("2021-02-01.md", ISSUE))
    assert [m["plain"] for m in replies] == [
        "Checking this file took longer than 0 s; nothing was published."
        " Split it or look for a pathological line."
    ]
    assert buttons(replies[0]) == []
