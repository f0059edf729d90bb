"""Search result pages: highlighted, escaped, numbered, and always one valid message."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.emulator.html import parse_html
from bot.render.search import (
    MAX_MARKS,
    SearchResult,
    bound_segments,
    render_search_page,
    segments_from_spans,
)
from bot.render.split import MAX_CHARS, MAX_ENTITIES

TEXT = "低比特量化是模型压缩的重要方法，量化后模型更小。<script>&"


def _bold(html: str) -> list[str]:
    parsed = parse_html(html)
    return [
        parsed.plain[e["offset"] : e["offset"] + e["length"]]
        for e in parsed.entities
        if e["type"] == "bold"
    ]


def test_a_page_numbers_results_and_bolds_the_matches() -> None:
    hit = SearchResult(
        'HAWQ "混合精度" <量化>', "https://a.example/x?a=1&b=2", "2021-01-05",
        segments_from_spans(TEXT, [(3, 5), (16, 18)]),
    )  # fmt: skip
    html = render_search_page([hit, hit], query="量化 <b>", total=12, page=2, pages=3)
    plain = parse_html(html).plain
    header = "搜索“量化 <b>”：共 12 条 · 第 2/3 页"
    assert plain.startswith(header + '\n\n6. HAWQ "混合精度" <量化> · ')
    assert "\n\n7. HAWQ" in plain and "2021-01-05 期" in plain
    assert "<script>&" in plain and "<script>" not in html
    assert _bold(html) == [header, "量化", "量化", "量化", "量化"]
    links = [e for e in parse_html(html).entities if e["type"] == "text_link"]
    assert [e["url"] for e in links] == ["https://a.example/x?a=1&b=2"] * 2


def test_no_result_gives_tips_in_the_chat_language() -> None:
    zh = parse_html(render_search_page([], query="不存在", total=0)).plain
    assert zh.startswith("没有找到“不存在”。")
    en = render_search_page([], query="<none>", total=0, lang="en", notices=["Query cut."])
    assert parse_html(en).plain == (
        "Nothing found for “<none>”. Try a shorter word, drop exclusions, or use the English "
        "name.\nQuery cut."
    )


def test_only_web_links_are_linked() -> None:
    bad = SearchResult("坏链接", "javascript:alert(1)", "2020-01-01", (("摘要", False),))
    html = render_search_page([bad], query="x", total=1, lang="en")
    assert "javascript" not in html and "issue 2020-01-01" in html


def test_snippets_are_bounded_in_length_and_marks() -> None:
    many = segments_from_spans("量化" * 200, [(i, i + 2) for i in range(0, 400, 4)])
    bounded = bound_segments(many)
    assert sum(len(t) for t, _ in bounded) <= 240
    assert sum(m for _, m in bounded) == MAX_MARKS
    assert bounded[-1][0].endswith("…")


segment = st.tuples(st.text(max_size=300), st.booleans())
result = st.builds(
    SearchResult,
    title=st.text(max_size=600),
    url=st.one_of(st.none(), st.text(max_size=50), st.just("https://e.x/?q=<&>\"")),
    issue_date=st.one_of(st.none(), st.text(max_size=20)),
    segments=st.lists(segment, max_size=30).map(tuple),
)


@settings(max_examples=60, deadline=None)
@given(results=st.lists(result, max_size=12), query=st.text(max_size=300))
def test_any_page_is_one_valid_message(results: list[SearchResult], query: str) -> None:
    html = render_search_page(results, query=query, total=len(results), per_page=50)
    parsed = parse_html(html)
    assert 0 < len(parsed.plain) <= MAX_CHARS
    assert len(parsed.entities) <= MAX_ENTITIES
