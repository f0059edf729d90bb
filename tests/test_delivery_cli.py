"""`bot publish --send/--wait`, `bot deliveries`, `bot stats` as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.render.digest import render_digest
from tests.support.delivery import DeliveryRig
from tests.support.delivery import run_bot as bot

ISSUE = """# 嵌入式AI简报 ({date})

> 导读：本次2条。

## 论文

- [低比特量化新方法 | 机器之心](https://a.example/{date})
摘要：讨论 INT8 与 4 比特量化。

## 开源项目

- [ncnn 发布新版本 | 腾讯优图](https://b.example/{date})
摘要：支持 Vulkan 推理。{extra}
"""

CHANNEL = -1001234


@pytest.fixture
def env(delivery: DeliveryRig, db_path: Path) -> dict[str, str]:
    return {
        "BOT_DB": str(db_path),
        "BOT_TOKEN": delivery.emulator.token,
        "BOT_API_BASE": delivery.emulator.base_url,
        "BOT_CHANNEL": "@digest_news",
    }


@pytest.mark.slow
async def test_publish_queues_then_send_delivers_and_edits_on_republish(
    delivery: DeliveryRig, env: dict[str, str], tmp_path: Path
) -> None:
    await delivery.emulator.add_chat(CHANNEL, "channel", title="News", username="digest_news")
    reader = await delivery.reader(31)
    ncnn = await delivery.reader(32, topics=["ncnn"])
    path = tmp_path / "2021-08-05.md"
    path.write_text(ISSUE.format(date="2021-08-05", extra=""), encoding="utf-8")

    code, out, err = await bot(env, "publish", str(path))
    assert code == 0, err
    assert "No sender is running" in out and "--send" in out
    assert await delivery.emulator.messages(reader) == []
    code, out, _ = await bot(env, "deliveries")
    assert "3 pending or failed deliveries" in out and "[pending send" in out

    code, out, err = await bot(env, "publish", str(path), "--wait")
    assert code == 1 and "nothing is sending" in err

    path.write_text(ISSUE.format(date="2021-08-05", extra="新增 NCNN 说明。"), encoding="utf-8")
    code, out, err = await bot(env, "publish", str(path), "--send", "--wait")
    assert code == 0, err
    assert "Sent 3 messages and 0 edits; 0 failed" in out
    channel = await delivery.emulator.messages(CHANNEL)
    assert len(channel) == 1 and "新增 NCNN 说明" in channel[0]["plain"]
    assert "新增 NCNN 说明" in (await delivery.emulator.messages(ncnn))[0]["plain"]

    # A revision after delivery: the channel and the readers get edits, not new messages.
    path.write_text(ISSUE.format(date="2021-08-05", extra="再次修订。"), encoding="utf-8")
    code, out, err = await bot(env, "publish", str(path), "--send")
    assert code == 0, err
    assert "0 new messages and 3 edits" in out and "Sent 0 messages and 3 edits" in out
    channel = await delivery.emulator.messages(CHANNEL)
    assert len(channel) == 1 and "再次修订" in channel[0]["plain"] and channel[0]["edits"]
    assert len(await delivery.emulator.messages(reader)) == 1

    code, out, _ = await bot(env, "stats")
    assert "Subscribers: 2 active (private 2), 0 paused, 0 blocked or gone." in out
    assert "2021-08-05: 3 / 0 / 0 / 0" in out
    code, out, _ = await bot(env, "deliveries", "--failed")
    assert out.strip() == "No failed deliveries."


@pytest.mark.slow
async def test_publish_without_send_never_imports_aiogram(
    delivery: DeliveryRig, env: dict[str, str], tmp_path: Path
) -> None:
    await delivery.reader(41)
    path = tmp_path / "2021-09-01.md"
    path.write_text(ISSUE.format(date="2021-09-01", extra=""), encoding="utf-8")
    probe = (
        "import sys; from bot.cli import main\n"
        f"try:\n    main(['publish', {str(path)!r}])\n"
        "except SystemExit:\n    pass\n"
        "print('AIOGRAM' if 'aiogram' in sys.modules else 'NO-AIOGRAM')"
    )
    code, out, err = await _python(env, probe)
    assert code == 0, err
    assert out.strip().endswith("NO-AIOGRAM")
    assert "new issue with 2 entries" in out


async def _python(env: dict[str, str], code: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


def test_expected_parts_are_single_messages() -> None:
    """The CLI test above counts one message per chat: the fixture issue is one part."""
    from bot.digest.parse import parse_issue

    issue = parse_issue(ISSUE.format(date="2021-08-05", extra=""), filename="x.md")
    assert len(render_digest(issue)) == 1


async def test_wait_follows_a_running_sender_until_the_issue_is_out(
    delivery: DeliveryRig, env: dict[str, str], tmp_path: Path
) -> None:
    from bot.delivery.client import DigestClient, open_bot
    from bot.delivery.sender import Sender
    from bot.store.database import open_database

    readers = [await delivery.reader(50 + n) for n in range(5)]
    path = tmp_path / "2021-10-01.md"
    path.write_text(ISSUE.format(date="2021-10-01", extra=""), encoding="utf-8")
    client = DigestClient(open_bot(delivery.emulator.token, delivery.emulator.base_url))
    stop = asyncio.Event()
    async with open_database(delivery.path) as db:
        daemon = asyncio.create_task(Sender(db, client, "daemon").run(stop))
        try:
            code, out, err = await bot({**env, "BOT_CHANNEL": ""}, "publish", str(path), "--wait")
        finally:
            stop.set()
        await daemon
        await client.close()
    assert code == 0, err
    assert "Delivered by the running sender daemon" in out
    assert "Delivered 5 messages; 0 failed." in out
    assert "delivering" in err  # the progress bar
    for chat_id in readers:
        assert len(await delivery.emulator.messages(chat_id)) == 1


async def test_deliveries_show_times_in_bot_tz_and_stats_sum_failures_by_reason(
    delivery: DeliveryRig, env: dict[str, str], tmp_path: Path
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.store.chats import upsert_chat
    from bot.store.db import transaction

    later = await delivery.reader(51, delivery_time="07:30", timezone="Asia/Tokyo")
    async with transaction(delivery.conn):  # a chat Telegram does not know: fails
        await upsert_chat(delivery.conn, 52, "private", "ghost", "zh")
        await upsert_chat(delivery.conn, 53, "private", "ghost 2", "zh")
    path = tmp_path / "2021-08-09.md"
    path.write_text(ISSUE.format(date="2021-08-09", extra=""), encoding="utf-8")
    code, out, err = await bot(env, "publish", str(path), "--send")
    assert code == 0, err
    async with delivery.conn.execute(
        "SELECT not_before FROM outbox WHERE chat_id = ?", (later,)
    ) as cur:
        (stamp,) = await cur.fetchone() or (None,)
    assert stamp is not None
    local = (
        datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
        .replace(tzinfo=ZoneInfo("UTC"))
        .astimezone(ZoneInfo("America/New_York"))
        .strftime("%Y-%m-%d %H:%M:%S")
    )
    ny = {**env, "BOT_TZ": "America/New_York"}
    code, out, err = await bot(ny, "deliveries")
    assert code == 0, err
    assert f", not before {local} America/New_York]" in out, out
    assert " UTC" not in out
    code, out, _ = await bot(ny, "stats")
    # The two ghosts and BOT_CHANNEL, which this emulator does not know either.
    assert "Failed: 3 (3 × Bad Request: chat not found)\n" in out, out
