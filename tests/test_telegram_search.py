"""/search end to end: pages of 5, ‹ › buttons, highlighted and escaped results, tips."""

from __future__ import annotations

import aiosqlite

from bot.store.issues import ingest_issue
from tests.support.store import make_entry, make_issue
from tests.support.telegram import BotHarness, buttons, entity_texts


async def seed(db: aiosqlite.Connection) -> None:
    entries = [
        make_entry(f"量化方法 No.{n} <script>", url=f"https://example.com/q{n}",
                   summary=f"第 {n} 种低比特量化 & 剪枝技巧")
        for n in range(12)
    ]  # fmt: skip
    entries.append(make_entry("NCNN 发布", url="https://example.com/ncnn", summary="移动端推理"))
    await ingest_issue(db, make_issue("2021-01-05", *entries), "h1", "x")


async def test_search_pages_through_results(telegram: BotHarness) -> None:
    await seed(telegram.db)
    chat = await telegram.private(801)
    first = (await telegram.say(chat, "/search 量化"))[0]
    assert "共 12 条，第 1/3 页" in first["plain"]
    assert first["plain"].count("2021-01-05") == 5
    bold = entity_texts(first, "bold")
    assert bold and set(bold) == {"量化"}
    links = [e["url"] for e in first["entities"] if e["type"] == "text_link"]
    assert len(links) == 5 and all(u.startswith("https://example.com/q") for u in links)
    assert "<script>" in first["plain"] and "& 剪枝" in first["plain"]  # shown, not parsed
    labels = [label for label, _ in buttons(first)]
    assert labels == ["1/3", "›"]
    await telegram.press(chat, buttons(first)[-1][1])
    second = await telegram.message(chat, first["message_id"])
    assert "第 2/3 页" in second["plain"]
    assert [label for label, _ in buttons(second)] == ["‹", "2/3", "›"]
    assert "6. " in second["plain"] and "10. " in second["plain"]


async def test_search_without_results_gives_tips(telegram: BotHarness) -> None:
    await seed(telegram.db)
    chat = await telegram.private(802, language_code="en")
    none = await telegram.ask(chat, '/search "zzz" NEAR( *')
    assert "Nothing found" in none and "NCNN" in none
    assert "Usage" in await telegram.ask(chat, "/search")
    assert "too long" in await telegram.ask(chat, "/search " + "量" * 600)
    assert "NCNN" in await telegram.ask(chat, "/search ｎｃｎｎ")
    cut = await telegram.ask(chat, "/search NCNN " + "x" * 300)
    assert "only its first 200 characters were used" in cut
    only_symbols = await telegram.ask(chat, "/search *** -量化")
    assert "a word starting with - only excludes" in only_symbols


async def test_old_search_pages_expire(telegram: BotHarness) -> None:
    await seed(telegram.db)
    chat = await telegram.private(803)
    first = (await telegram.say(chat, "/search 量化"))[0]
    telegram.dp["pages"]._items.clear()  # the bot restarted, or the query aged out
    await telegram.press(chat, buttons(first)[-1][1])
    answers = await telegram.callback_answers(chat)
    assert answers[-1]["answer"]["text"] == "此页面已过期，请重新发送命令。"
    assert (await telegram.message(chat, first["message_id"]))["plain"] == first["plain"]
