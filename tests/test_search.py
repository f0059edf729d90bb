"""Search semantics on hand-made issues: what a reader typing /search would notice."""

from __future__ import annotations

import aiosqlite
import pytest

from bot.search import engine
from bot.search.engine import RANK_CAP, search
from bot.search.query import parse_query
from bot.search.snippet import render
from bot.store.db import transaction
from bot.store.issues import ingest_issue
from bot.store.topics import TopicError, parse_topic
from bot.telegram.args import bounded, split_terms
from tests.support.store import make_entry, make_issue

OLD = make_issue(
    "2020-06-03",
    make_entry("低比特量化综述", url="https://x.example/1", summary="讨论 INT8 与 4 比特量化。"),
    make_entry(
        "MobileNetV3 在手机上的推理",
        url="https://x.example/2",
        summary="移动端 推理 加速，使用 ncnn。",
    ),
    make_entry(
        "數量眾多的模型壓縮方法",
        url="https://x.example/3",
        section="博文",
        summary="繁體中文的摘要：模型壓縮。",
    ),
)
NEW = make_issue(
    "2021-01-05",
    make_entry(
        "YOLOv5 目标检测",
        url="https://y.example/1",
        section="开源",
        summary="在移动端推理很快。招聘算法工程师。",
    ),
    make_entry(
        "端侧部署综述", url="https://y.example/2", summary="本文介绍量化、剪枝与蒸馏在端侧的应用。"
    ),
    make_entry(
        "ＮＣＮＮ 新版本发布",
        url="https://y.example/3",
        source="ＯＰＥＮ ＡＩ Ｌａｂ",
        summary="支持 Ｉｎｔ８ 推理。",
    ),
)


@pytest.fixture
async def archive(db: aiosqlite.Connection) -> aiosqlite.Connection:
    async with transaction(db):
        await ingest_issue(db, OLD, "old", "")
        await ingest_issue(db, NEW, "new", "")
    return db


async def titles(db: aiosqlite.Connection, query: str, **kw: str) -> list[str]:
    page = await search(db, query, limit=50, **kw)  # type: ignore[arg-type]
    assert page.total == len(page.results)
    return [r.title for r in page.results]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("量化", {"低比特量化综述", "端侧部署综述"}),
        ("量", {"低比特量化综述", "端侧部署综述", "數量眾多的模型壓縮方法"}),
        ("剪枝", {"端侧部署综述"}),
        ("yolo", {"YOLOv5 目标检测"}),
        ("V5", {"YOLOv5 目标检测"}),
        ("net", {"MobileNetV3 在手机上的推理"}),
        ("NCNN", {"MobileNetV3 在手机上的推理", "ＮＣＮＮ 新版本发布"}),
        ("ｎｃｎｎ", {"MobileNetV3 在手机上的推理", "ＮＣＮＮ 新版本发布"}),
        ("int8", {"低比特量化综述", "ＮＣＮＮ 新版本发布"}),
        ("open ai", {"ＮＣＮＮ 新版本发布"}),
        ("壓縮", {"數量眾多的模型壓縮方法"}),
        ("压缩 模型", {"數量眾多的模型壓縮方法"}),
        ("移动端 推理", {"MobileNetV3 在手机上的推理", "YOLOv5 目标检测"}),
        ('"移动端 推理"', {"MobileNetV3 在手机上的推理"}),
        ("推理 -招聘", {"MobileNetV3 在手机上的推理", "ＮＣＮＮ 新版本发布"}),
        ("蒸馏 量化 剪枝", {"端侧部署综述"}),
        ("不存在的词", set()),
    ],
)
async def test_terms_are_anded_and_found_as_substrings(
    archive: aiosqlite.Connection, query: str, expected: set[str]
) -> None:
    assert set(await titles(archive, query)) == expected


async def test_title_hits_rank_above_summary_hits(archive: aiosqlite.Connection) -> None:
    assert (await titles(archive, "量化"))[0] == "低比特量化综述"
    assert (await titles(archive, "推理"))[0] == "MobileNetV3 在手机上的推理"


async def test_ties_put_the_newer_issue_first(db: aiosqlite.Connection) -> None:
    for date in ("2019-03-31", "2021-08-24", "2020-02-16"):
        same = make_entry("量化工具", url=f"https://t.example/{date}", summary="同样的摘要")
        await ingest_issue(db, make_issue(date, same), date, "")
    page = await search(db, "量化")
    assert [r.issue_date for r in page.results] == ["2021-08-24", "2020-02-16", "2019-03-31"]


async def test_filters_by_issue_and_section(archive: aiosqlite.Connection) -> None:
    assert await titles(archive, "推理", issue_date="2020-06-03") == ["MobileNetV3 在手机上的推理"]
    assert await titles(archive, "量", section="博文") == ["數量眾多的模型壓縮方法"]


async def test_results_carry_issue_section_url_and_marked_snippet(
    archive: aiosqlite.Connection,
) -> None:
    page = await search(archive, "剪枝")
    [hit] = page.results
    assert (hit.issue_date, hit.section, hit.url) == ("2021-01-05", "论文", "https://y.example/2")
    assert render(hit.snippet_segments) == "本文介绍量化、**剪枝**与蒸馏在端侧的应用。"
    [full_width] = (await search(archive, "ncnn 发布")).results
    assert render(full_width.title_segments) == "**ＮＣＮＮ** 新版本**发布**"
    [traditional] = (await search(archive, "压缩")).results
    marked = render(traditional.snippet_segments, "<b>", "</b>")
    assert marked == "繁體中文的摘要：模型<b>壓縮</b>。"


async def test_snippet_is_a_window_around_the_first_match(db: aiosqlite.Connection) -> None:
    summary = "前" * 300 + "量化" + "后" * 300
    await ingest_issue(db, make_issue("2021-05-21", make_entry("长文", summary=summary)), "h", "")
    [hit] = (await search(db, "量化")).results
    text = render(hit.snippet_segments)
    assert text.startswith("…前") and text.endswith("后…") and "**量化**" in text
    assert len(text) < 140


async def test_hostile_and_odd_queries_are_data(archive: aiosqlite.Connection) -> None:
    for query in [
        '"',
        "NEAR(量化",
        "量化 AND",
        "OR",
        "*",
        "^量化",
        "t:量化",
        '"移动端 推理',
        "-",
        "--量化",
        "量化)",
        "'; DROP TABLE entries; --",
        "\x00量化",
        "c++",
    ]:
        page = await search(archive, query)
        assert page.total >= 0
    assert {r.title for r in (await search(archive, "t:量化")).results} == set()
    assert len((await search(archive, "^量化")).results) == 2


async def test_empty_long_and_exclusion_only_queries(archive: aiosqlite.Connection) -> None:
    assert parse_query("   ").empty
    long = await search(archive, "量化 " + "x" * 400)
    assert "query_cut" in long.query.notices and long.total == 0
    only_minus = await search(archive, "-招聘")
    assert only_minus.total == 0 and "nothing_to_search" in only_minus.query.notices


async def test_broad_queries_are_capped_and_paged(db: aiosqlite.Connection) -> None:
    many = [make_entry(f"模型 {i}", url=f"https://m.example/{i}") for i in range(RANK_CAP + 50)]
    await ingest_issue(db, make_issue("2021-07-01", *many), "h", "")
    page = await search(db, "模型", limit=20)
    assert page.capped and page.total_label == f"{RANK_CAP}+" and len(page.results) == 20
    last = await search(db, "模型", limit=20, offset=RANK_CAP - 5)
    assert len(last.results) == 5 and not last.has_more
    exact = await search(db, "模型 1")
    assert not exact.capped


async def test_broad_terms_rank_title_hits_first_then_newest(
    archive: aiosqlite.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past BROAD_TERM matches bm25 is too slow; the order stays sensible without it."""
    await ingest_issue(
        archive,
        make_issue(
            "2021-08-24", make_entry("端侧部署", url="https://z.example/1", summary="含量化一词")
        ),
        "h3",
        "",
    )
    monkeypatch.setattr(engine, "BROAD_TERM", 2)
    page = await search(archive, "量化")
    assert [(r.title, r.score) for r in page.results] == [
        ("低比特量化综述", 2.0),
        ("端侧部署", 1.0),
        ("端侧部署综述", 1.0),
    ]


async def test_entries_about_the_topic_rank_above_incidental_mentions(
    db: aiosqlite.Connection,
) -> None:
    older = make_issue(
        "2019-05-01",
        make_entry("训练后量化工具", url="https://q.example/ptq", summary="把模型量化到 INT8。"),
    )
    newer = make_issue(
        "2021-05-01",
        make_entry("轻量化网络设计", url="https://q.example/light", summary="轻量化的骨干网络。"),
        make_entry("向量化指令加速", url="https://q.example/simd", summary="SIMD 向量化。"),
    )
    async with transaction(db):
        await ingest_issue(db, older, "o", "")
        await ingest_issue(db, newer, "n", "")
    # literal recall stays: every entry containing 量化 is found
    found = await titles(db, "量化")
    assert found[0] == "训练后量化工具"  # older, but about 量化: above 轻量化 and 向量化
    assert set(found[1:]) == {"轻量化网络设计", "向量化指令加速"}
    assert (await titles(db, "quantization"))[:1] == []  # the word itself is not in the text
    assert (await titles(db, "int8")) == ["训练后量化工具"]


async def test_recency_breaks_near_ties(db: aiosqlite.Connection) -> None:
    for date, title in (("2017-01-10", "剪枝工具"), ("2021-01-10", "剪枝工具的新版本")):
        await ingest_issue(
            db, make_issue(date, make_entry(title, url=f"https://r.example/{date}")), date, ""
        )
    assert await titles(db, "剪枝") == ["剪枝工具的新版本", "剪枝工具"]


async def test_hash_topic_keeps_only_the_tagged_entries(archive: aiosqlite.Connection) -> None:
    await ingest_issue(
        archive,
        make_issue(
            "2021-08-24",
            make_entry("轻量化骨干网络", url="https://z.example/1", summary="轻量化。"),
            make_entry("二值网络部署", url="https://z.example/2", summary="1-bit 权重。"),
        ),
        "h3",
        "",
    )
    for typed in ("#量化", "#quantization", "＃INT8"):
        found = await titles(archive, typed)
        assert found[0] == "二值网络部署", typed  # newest first, 二值网络 is quantization
        assert set(found) == {"二值网络部署", "低比特量化综述", "端侧部署综述"}, typed
    assert await titles(archive, "#量化 部署") == ["二值网络部署", "端侧部署综述"]
    assert await titles(archive, "#量化", issue_date="2020-06-03") == ["低比特量化综述"]
    # a #word that names no topic is a plain word
    assert await titles(archive, "#剪枝与蒸馏的应用") == []
    assert await titles(archive, "#ncnn") == ["ＮＣＮＮ 新版本发布", "MobileNetV3 在手机上的推理"]


async def test_broad_queries_put_tagged_entries_first(
    archive: aiosqlite.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ingest_issue(
        archive,
        make_issue(
            "2021-08-24",
            make_entry("轻量化骨干网络", url="https://z.example/1", summary="轻量化。"),
        ),
        "h3",
        "",
    )
    monkeypatch.setattr(engine, "BROAD_TERM", 2)
    page = await search(archive, "量化")
    assert [r.title for r in page.results] == ["低比特量化综述", "端侧部署综述", "轻量化骨干网络"]


ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\x00"]


@pytest.mark.parametrize("char", ZERO_WIDTH)
def test_invisible_characters_are_dropped_from_queries(char: str) -> None:
    query = parse_query(f"量{char}化 {char}-招{char}聘 {char}")
    assert [t.text for t in query.include] == ["量化"]
    assert [t.text for t in query.exclude] == ["招聘"]
    assert query.expression == parse_query("量化 -招聘").expression
    assert parse_query(char * 3).empty  # an invisible query is an empty one


@pytest.mark.parametrize("char", ZERO_WIDTH)
def test_invisible_characters_are_dropped_from_topics_and_arguments(char: str) -> None:
    topic = parse_topic(f"{char}量{char}化{char}")
    assert (topic.term, topic.display) == ("#quantization", "量化")
    assert parse_topic(f"-{char}招聘").exclude
    with pytest.raises(TopicError, match="at least one character"):
        parse_topic(char * 3)
    assert bounded(f"{char} ncnn {char}") == "ncnn"
    assert split_terms(f'量{char}化, {char} "a{char}b"') == ["量化", "ab"]
