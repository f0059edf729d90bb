"""/latest (filtered by topics, with "show all"), /issue DATE and /issues with pages."""

from __future__ import annotations

from dataclasses import replace
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


async def seed_years(db: aiosqlite.Connection, counts: dict[int, int]) -> list[str]:
    """``counts[year]`` issues in each year, every other Tuesday from early January."""
    dates = []
    for year, count in counts.items():
        start = date(year, 1, 5)
        for n in range(count):
            day = (start + timedelta(days=14 * n)).isoformat()
            entry = make_entry(f"头条 {day}", url=f"https://example.com/{day}/1")
            await ingest_issue(db, make_issue(day, entry), f"hash-{day}", day)
            dates.append(day)
    return sorted(dates, reverse=True)


async def test_issues_are_listed_by_year_with_pages_and_open_from_a_button(
    telegram: BotHarness,
) -> None:
    dates = await seed_years(telegram.db, {2019: 2, 2020: 3, 2021: 14})
    chat = await telegram.private(404)
    listing = (await telegram.say(chat, "/issues"))[0]
    assert listing["plain"].startswith("往期简报 · 2021 年（第 1/2 页）")
    keys = buttons(listing)
    assert all(len(data.encode()) <= 64 for _, data in keys)
    shown = [label for label, _ in keys if label[:1].isdigit() and "-" in label]
    assert shown == dates[:10], "newest first, ten a page, all of the newest year"
    labels = [label for label, _ in keys]
    assert labels[10:] == ["1/2", "›", "· 2021 ·", "2020", "2019"]

    await telegram.press(chat, dict(keys)["›"])
    page2 = await telegram.message(chat, listing["message_id"])
    assert "第 2/2 页" in page2["plain"]
    assert [label for label, _ in buttons(page2) if "-" in label] == dates[10:14]

    await telegram.press(chat, dict(buttons(page2))["2020"])
    year2020 = await telegram.message(chat, listing["message_id"])
    assert year2020["plain"].startswith("往期简报 · 2020 年（第 1/1 页）")
    in_2020 = [(label, data) for label, data in buttons(year2020) if "-" in label]
    assert [label for label, _ in in_2020] == [d for d in dates if d.startswith("2020")]
    assert [label for label, _ in buttons(year2020)][-3:] == ["2021", "· 2020 ·", "2019"]

    opened = await telegram.press(chat, in_2020[0][1])
    assert f"嵌入式AI简报 · {in_2020[0][0]}" in opened[0]["plain"]
    assert f"头条 {in_2020[0][0]}" in "\n".join(m["plain"] for m in opened)

    by_year = (await telegram.say(chat, "/issues 2019"))[0]
    assert by_year["plain"].startswith("往期简报 · 2019 年")
    assert len([label for label, _ in buttons(by_year) if "-" in label]) == 2

    old = {"inline_keyboard": [[{"text": "›", "callback_data": "il:2"}]]}  # before years
    status, _ = await telegram.emulator.call(
        "sendMessage", chat_id=chat, text="往期简报（第 1/2 页）", reply_markup=old
    )
    assert status == 200
    await telegram.press(chat, "il:2")
    answers = await telegram.callback_answers(chat)
    assert answers[-1]["answer"]["text"] == "此页面已过期，请重新发送命令。"


async def test_issues_list_says_what_each_issue_is_about(telegram: BotHarness) -> None:
    titled = make_issue("2021-08-24", make_entry("特斯拉D1芯片", url="https://e.com/1"))
    titled = replace(titled, title="特斯拉D1芯/Mobile-Former", intro="")
    introduced = make_issue("2021-05-21", make_entry("谷歌第四代TPU", url="https://e.com/2"))
    introduced = replace(introduced, title="", intro="本次10条。【新闻】谷歌I/O大会发布第四代 TPU")
    bare = make_issue("2019-03-31", make_entry("波士顿动力发布仓储机器人", url="https://e.com/3"))
    bare = replace(bare, title="", intro="")
    for issue in (titled, introduced, bare):
        await ingest_issue(telegram.db, issue, f"hash-{issue.date}", str(issue.date))
    chat = await telegram.private(405, language_code="en")
    lines = (await telegram.say(chat, "/issues"))[0]["plain"].splitlines()
    assert lines[1] == "2021-08-24 特斯拉D1芯/Mobile-Former · 1 entries"
    assert lines[2] == "2021-05-21 【新闻】谷歌I/O大会发布第四代 TPU · 1 entries"
    assert lines[-1].startswith("Tap a date")
    old = (await telegram.say(chat, "/issues 2019"))[0]["plain"].splitlines()
    assert old[1] == "2019-03-31 波士顿动力发布仓储机器人 · 1 entries"


def test_dates_people_type() -> None:
    assert parse_date("2021-1-5") == "2021-01-05"
    assert parse_date("20210105") == "2021-01-05"
    assert parse_date("2021年1月5日") == "2021-01-05"
    assert parse_date("2021-02-30") is None
    assert parse_date("1; DROP TABLE issues") is None
