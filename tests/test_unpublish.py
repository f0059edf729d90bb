"""`bot unpublish DATE` end to end: real CLI subprocesses, real SQLite, the real sender
over HTTP against the emulator (which enforces Telegram's 48 h rule for deleteMessage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.search.engine import search
from bot.store.issues import get_issue, list_issues
from tests.support.delivery import DeliveryRig
from tests.support.delivery import run_bot as bot

ISSUE = """# 嵌入式AI简报 ({date})

> 导读：本次2条。

## 论文

- [{word}量化新方法 | 机器之心](https://a.example/{date})
摘要：讨论 INT8 与 4 比特量化。

## 开源项目

- [ncnn 发布新版本 | 腾讯优图](https://b.example/{date})
摘要：支持 Vulkan 推理。
"""


@pytest.fixture
def env(delivery: DeliveryRig, db_path: Path) -> dict[str, str]:
    return {
        "BOT_DB": str(db_path),
        "BOT_TOKEN": delivery.emulator.token,
        "BOT_API_BASE": delivery.emulator.base_url,
        "BOT_TZ": "Asia/Shanghai",
    }


async def _published(
    delivery: DeliveryRig, env: dict[str, str], tmp_path: Path, *dates: str
) -> None:
    for date in dates:
        path = tmp_path / f"{date}.md"
        path.write_text(ISSUE.format(date=date, word=f"稀有{date[-2:]}"), encoding="utf-8")
        code, _, err = await bot(env, "publish", str(path), "--send")
        assert code == 0, err


async def test_unpublish_deletes_young_messages_edits_old_ones_and_forgets_the_issue(
    delivery: DeliveryRig, env: dict[str, str], tmp_path: Path
) -> None:
    zh, en, old = (
        await delivery.reader(61),
        await delivery.reader(62, language="en"),
        await delivery.reader(63),
    )
    await _published(delivery, env, tmp_path, "2021-01-01", "2021-01-05")
    kept = {c: (await delivery.emulator.messages(c))[-1]["message_id"] for c in (zh, en, old)}
    withdrawn = {c: (await delivery.emulator.messages(c))[0]["message_id"] for c in (zh, en, old)}
    assert all(kept[c] != withdrawn[c] for c in kept)
    # Chat 63 got 2021-01-01 three days ago (as far as the outbox knows): edit, not delete.
    await delivery.conn.execute(
        "UPDATE outbox SET sent_at = datetime('now', '-3 days') WHERE chat_id = ? AND"
        " issue_id = (SELECT id FROM issues WHERE date = '2021-01-01')",
        (old,),
    )

    code, out, err = await bot(env, "unpublish", "2021-01-01")  # no terminal, no --yes
    assert code == 2 and "add --yes" in err
    assert "2 to delete, 1 older than 47 h to edit" in out
    assert await get_issue(delivery.conn, "2021-01-01") is not None  # nothing changed

    code, out, err = await bot(env, "deliveries")
    assert code == 0 and "No pending or failed deliveries." in out
    code, out, err = await bot(env, "unpublish", "2021-01-01", "--yes", "--by", "maint")
    assert code == 0, err
    assert "unpublished 2021-01-01 (record #1, by maint): 2 messages queued for deletion," in out
    assert "1 for an edit to the withdrawn note" in out and "No sender is running" in out
    code, out, _ = await bot(env, "deliveries")
    assert out.count("[pending withdrawal delete") == 2
    assert out.count("[pending withdrawal edit") == 1

    # The archive and the search index forgot it; the other issue is untouched.
    assert [s.date for s in await list_issues(delivery.conn)] == ["2021-01-05"]
    assert (await search(delivery.conn, "稀有01")).total == 0
    assert (await search(delivery.conn, "稀有05")).total == 1
    async with delivery.conn.execute(
        "SELECT count(*) FROM revisions r LEFT JOIN issues i ON i.id = r.issue_id"
        " WHERE i.id IS NULL"
    ) as cur:
        assert (await cur.fetchone() or [1])[0] == 0
    async with delivery.conn.execute(
        "SELECT date, unpublished_by, messages_deleted, messages_edited, unsent_dropped"
        " FROM unpublished_issues"
    ) as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("2021-01-01", "maint", 2, 1, 0)]

    tally = await delivery.drain()  # the sender does the deleting, through the outbox
    assert (tally.deleted, tally.edited, tally.failed) == (2, 1, 0)
    for chat in (zh, en):
        messages = {m["message_id"]: m for m in await delivery.emulator.messages(chat)}
        assert messages[withdrawn[chat]]["deleted"] is True
        assert messages[kept[chat]]["deleted"] is False
    edited = {m["message_id"]: m for m in await delivery.emulator.messages(old)}
    assert edited[withdrawn[old]]["plain"] == "（已撤回：本期简报已被撤回。）"
    assert edited[kept[old]]["deleted"] is False and not edited[kept[old]]["edits"]
    code, out, _ = await bot(env, "deliveries")
    assert "No pending or failed deliveries." in out
    code, out, _ = await bot(env, "stats")
    assert "Unpublished: 1 (2021-01-01 (2 to delete, 1 to edit, by maint))" in out

    code, out, err = await bot(env, "unpublish", "2021-01-01", "--yes")
    assert code == 2 and "there is no issue 2021-01-01" in err
    code, out, err = await bot(env, "unpublish", "2021-13-01", "--yes")
    assert code == 2 and "is not a date" in err


async def test_what_telegram_will_not_delete_any_more_is_edited_in_the_chats_language(
    delivery: DeliveryRig, env: dict[str, str], tmp_path: Path
) -> None:
    zh, en = await delivery.reader(71), await delivery.reader(72, language="en")
    await _published(delivery, env, tmp_path, "2021-02-01")
    code, out, err = await bot(env, "unpublish", "2021-02-01", "--yes")
    assert code == 0 and "2 messages queued for deletion" in out, err
    # The sender ran late: Telegram's 48 h have passed since the messages were sent.
    await delivery.emulator.configure(clock_offset_s=49 * 3600)
    tally = await delivery.drain()
    assert (tally.deleted, tally.edited, tally.failed) == (0, 2, 0)
    [mine] = await delivery.emulator.messages(zh)
    [theirs] = await delivery.emulator.messages(en)
    assert mine["plain"] == "（已撤回：本期简报已被撤回。）" and not mine["deleted"]
    assert theirs["plain"] == "(Withdrawn: this issue of the digest was withdrawn.)"
    assert await list_issues(delivery.conn) == []
