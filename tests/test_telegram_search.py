"""/search end to end: pages of 5, ‹ › buttons, highlighted and escaped results, tips."""

from __future__ import annotations

import re

import aiosqlite

from bot.render.search import MAX_MARKS
from bot.render.split import MAX_ENTITIES
from bot.store.issues import ingest_issue
from tests.support.store import make_entry, make_issue
from tests.support.telegram import BotHarness, buttons, entity_texts


async def seed(db: aiosqlite.Connection) -> None:
    entries = [
        make_entry(
            f"量化方法 No.{n} <script>",
            url=f"https://example.com/q{n}",
            summary=f"第 {n} 种低比特量化 & 剪枝技巧",
        )
        for n in range(12)
    ]
    entries.append(make_entry("NCNN 发布", url="https://example.com/ncnn", summary="移动端推理"))
    entries.append(make_entry("移动端部署", section="博文", summary="用 NCNN 部署到手机"))
    entries.append(make_entry('Tag <b>&" 标签', summary="HTML 里的粗体"))
    await ingest_issue(db, make_issue("2021-01-05", *entries), "h1", "x")


def numbered(plain: str) -> list[tuple[int, str]]:
    """(number, title) of each result on a page."""
    return [(int(n), title) for n, title in re.findall(r"^(\d+)\. (.*)$", plain, flags=re.M)]


async def test_search_pages_through_results(telegram: BotHarness) -> None:
    await seed(telegram.db)
    chat = await telegram.private(801)
    first = (await telegram.say(chat, "/search 量化"))[0]
    header = "搜索“量化”：共 12 条 · 第 1/3 页"
    assert first["plain"].startswith(header + "\n\n1. 量化方法 No.")
    assert first["plain"].count("2021-01-05 期 · 论文") == 5
    bold = entity_texts(first, "bold")
    assert bold[0] == header and bold[1:] and set(bold[1:]) == {"量化"}
    links = [e["url"] for e in first["entities"] if e["type"] == "text_link"]
    assert len(links) == 5 and all(u.startswith("https://example.com/q") for u in links)
    assert "<script>" in first["plain"] and "量化 & 剪枝" in first["plain"]  # shown, not parsed
    labels = [label for label, _ in buttons(first)]
    assert labels == ["1/3", "›"]
    await telegram.press(chat, buttons(first)[-1][1])
    second = await telegram.message(chat, first["message_id"])
    assert second["plain"].startswith("搜索“量化”：共 12 条 · 第 2/3 页")
    assert [label for label, _ in buttons(second)] == ["‹", "2/3", "›"]
    await telegram.press(chat, buttons(second)[-1][1])
    third = await telegram.message(chat, first["message_id"])
    assert [label for label, _ in buttons(third)] == ["‹", "3/3"]
    pages = [numbered(page["plain"]) for page in (first, second, third)]
    assert [n for page in pages for n, _ in page] == list(range(1, 13))
    titles = {title for page in pages for _, title in page}
    assert titles == {f"量化方法 No.{n} <script>" for n in range(12)}  # each once


async def test_plain_text_in_a_private_chat_is_a_search_with_a_hint_once(
    telegram: BotHarness,
) -> None:
    await seed(telegram.db)
    chat = await telegram.private(806)
    first = await telegram.say(chat, "量化")
    assert first[0]["plain"].startswith("搜索“量化”：共 12 条 · 第 1/3 页")
    assert [label for label, _ in buttons(first[0])] == ["1/3", "›"]
    assert len(first) == 2 and "直接发送文字就是搜索" in first[1]["plain"]
    again = await telegram.say(chat, "NCNN")
    assert len(again) == 1 and again[0]["plain"].startswith("搜索“NCNN”")  # no second hint
    assert "“zzzqq”" in await telegram.ask(chat, "zzzqq")
    group = await telegram.group(-1000806, admins=[806])
    assert await telegram.say(group, "量化", user_id=806) == []  # groups talk among themselves


async def test_title_matches_come_first_in_english(telegram: BotHarness) -> None:
    await seed(telegram.db)
    chat = await telegram.private(804, language_code="en")
    page = (await telegram.say(chat, "/search ncnn"))[0]
    assert page["plain"].startswith("Search “ncnn”: 2 found · page 1/1\n\n1. NCNN 发布\n")
    assert numbered(page["plain"]) == [(1, "NCNN 发布"), (2, "移动端部署")]
    assert "issue 2021-01-05 · Papers" in page["plain"]
    assert "issue 2021-01-05 · Blog posts\n用 NCNN 部署到手机" in page["plain"]
    assert entity_texts(page, "bold")[1:] == ["NCNN", "NCNN"]
    assert buttons(page) == []  # one page: no pager


async def test_hostile_queries_are_shown_as_text(telegram: BotHarness) -> None:
    await seed(telegram.db)
    chat = await telegram.private(805)
    page = (await telegram.say(chat, '/search <b>&"'))[0]
    header = '搜索“<b>&"”：共 1 条 · 第 1/1 页'
    assert page["plain"].startswith(header + '\n\n1. Tag <b>&" 标签\n')
    assert entity_texts(page, "bold") == [header, "b"]
    none = (await telegram.say(chat, '/search <i>&" 不存在的词'))[0]
    assert none["plain"].startswith('没有找到“<i>&" 不存在的词”。\n试试：')
    assert none["entities"] == []


async def test_many_matches_stay_within_the_entity_limit(telegram: BotHarness) -> None:
    dense = [
        make_entry("量化 " * 60 + str(n), url=f"https://example.com/d{n}", summary="量化 " * 200)
        for n in range(7)
    ]
    await ingest_issue(telegram.db, make_issue("2021-02-05", *dense), "h2", "x")
    chat = await telegram.private(806)
    page = (await telegram.say(chat, "/search 量化"))[0]
    assert [n for n, _ in numbered(page["plain"])] == [1, 2, 3, 4, 5]
    assert page["plain"].count("量化") > MAX_ENTITIES  # every match shown ...
    bold = entity_texts(page, "bold")
    assert len(bold) == 1 + 5 * 2 * MAX_MARKS and set(bold[1:]) == {"量化"}  # the first ones
    assert len(page["entities"]) <= MAX_ENTITIES
    assert await telegram.violations() == []


async def test_search_without_results_gives_tips(telegram: BotHarness) -> None:
    await seed(telegram.db)
    chat = await telegram.private(802, language_code="en")
    none = await telegram.ask(chat, '/search "zzz" NEAR( *')
    assert none.startswith('Nothing found for “"zzz" NEAR( *”.\nTry shorter words')
    assert "NCNN" in none
    assert "Usage" in await telegram.ask(chat, "/search")
    assert "too long" in await telegram.ask(chat, "/search " + "量" * 600)
    assert "NCNN" in await telegram.ask(chat, "/search ｎｃｎｎ")
    cut = await telegram.ask(chat, "/search NCNN " + "x" * 300)
    assert "only its first 200 characters were used" in cut
    only_symbols = await telegram.ask(chat, "/search *** -量化")
    assert "a word starting with - only excludes" in only_symbols
    zh = await telegram.private(807)
    assert "只用了前 200 个字符" in await telegram.ask(zh, "/search NCNN " + "x" * 300)


async def test_old_search_pages_expire(telegram: BotHarness) -> None:
    await seed(telegram.db)
    chat = await telegram.private(803)
    first = (await telegram.say(chat, "/search 量化"))[0]
    telegram.dp["pages"]._items.clear()  # the bot restarted, or the query aged out
    await telegram.press(chat, buttons(first)[-1][1])
    answers = await telegram.callback_answers(chat)
    assert answers[-1]["answer"]["text"] == "此页面已过期，请重新发送命令。"
    assert (await telegram.message(chat, first["message_id"]))["plain"] == first["plain"]


async def test_hash_topic_searches_only_the_topics_entries(telegram: BotHarness) -> None:
    issue = make_issue(
        "2021-02-01",
        make_entry("轻量化骨干网络", url="https://example.com/light", summary="轻量化设计。"),
        make_entry("二值网络上手机", url="https://example.com/bnn", summary="1-bit 权重。"),
        make_entry("训练后量化", url="https://example.com/ptq", summary="INT8 误差分析。"),
    )
    await ingest_issue(telegram.db, issue, "h2", "x")
    chat = await telegram.private(806, language_code="en")
    page = (await telegram.say(chat, "/search #quantization"))[0]["plain"]
    assert [title for _, title in numbered(page)] == ["二值网络上手机", "训练后量化"]
    plain = (await telegram.say(chat, "/search 量化"))[0]["plain"]
    assert [title for _, title in numbered(plain)] == ["训练后量化", "轻量化骨干网络"]
