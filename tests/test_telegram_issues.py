"""/latest (filtered by topics, with "show all"), /issue DATE and /issues with pages."""

from __future__ import annotations

from datetime import date, timedelta

import aiosqlite

from bot.store.issues import ingest_issue
from bot.telegram.routers.issues import parse_date
from tests.support.store import make_entry, make_issue
from tests.support.telegram import BotHarness, buttons


async def seed(db: aiosqlite.Connection, count: int = 1) -> None:
    start = date(2021, 1, 5)
    for n in range(count):
        day = (start - timedelta(days=14 * n)).isoformat()
        issue = make_issue(
            day,
            make_entry(f"低比特量化 {day}", url=f"https://example.com/{day}/1"),
            make_entry(
                "招聘：推理工程师 <急>", url=f"https://example.com/{day}/2", section="业界新闻"
            ),
            make_entry("NCNN 新版本", url=f"https://example.com/{day}/3", section="开源"),
        )
        await ingest_issue(db, issue, f"hash-{day}", day)


async def test_latest_without_issues_says_so(telegram: BotHarness) -> None:
    chat = await telegram.private(401)
    assert "还没有发布" in (await telegram.say(chat, "/latest"))[0]["plain"]


async def test_latest_is_filtered_by_topics_with_a_show_all_button(telegram: BotHarness) -> None:
    await seed(telegram.db)
    chat = await telegram.private(402)
    await telegram.say(chat, "/topic 量化")
    parts = await telegram.say(chat, "/latest")
    text = "\n".join(p["plain"] for p in parts)
    assert "低比特量化" in text and "NCNN" not in text
    ((label, data),) = buttons(parts[-1])
    assert label == "显示全部"
    full = await telegram.press(chat, data)
    everything = "\n".join(p["plain"] for p in full)
    assert "NCNN" in everything and "招聘：推理工程师 <急>" in everything
    await telegram.say(chat, "/topic 不存在的话题")
    await telegram.say(chat, "/untopic 量化")
    nothing = await telegram.say(chat, "/latest")
    assert "没有符合你话题的内容" in nothing[0]["plain"]
    assert buttons(nothing[0])[0][0] == "显示全部"


async def test_issue_by_date(telegram: BotHarness) -> None:
    await seed(telegram.db, 2)
    chat = await telegram.private(403, language_code="en")
    parts = await telegram.say(chat, "/issue 2020-12-22")
    assert "低比特量化 2020-12-22" in "\n".join(p["plain"] for p in parts)
    assert (
        "no issue dated 2020-12-23" in (await telegram.say(chat, "/issue 2020-12-23"))[0]["plain"]
    )
    assert "Usage" in (await telegram.say(chat, "/issue yesterday"))[0]["plain"]
    assert "Usage" in (await telegram.say(chat, "/issue " + "9" * 500))[0]["plain"]


async def test_issues_are_listed_as_buttons_with_pages(telegram: BotHarness) -> None:
    await seed(telegram.db, 12)
    chat = await telegram.private(404)
    listing = (await telegram.say(chat, "/issues"))[0]
    assert "第 1/2 页" in listing["plain"]
    keys = buttons(listing)
    dates = [label for label, _ in keys if label[:1].isdigit() and "-" in label]
    assert dates[0] == "2021-01-05" and len(dates) == 10
    assert [label for label, _ in keys[-2:]] == ["1/2", "›"]
    await telegram.press(chat, keys[-1][1])
    page2 = next(
        m for m in await telegram.messages(chat) if m["message_id"] == listing["message_id"]
    )
    assert "第 2/2 页" in page2["plain"]
    last_dates = [label for label, _ in buttons(page2) if "-" in label]
    assert len(last_dates) == 2
    shown = await telegram.press(chat, buttons(page2)[0][1])
    assert last_dates[0] in shown[0]["plain"]


def test_dates_people_type() -> None:
    assert parse_date("2021-1-5") == "2021-01-05"
    assert parse_date("20210105") == "2021-01-05"
    assert parse_date("2021年1月5日") == "2021-01-05"
    assert parse_date("2021-02-30") is None
    assert parse_date("1; DROP TABLE issues") is None
