"""Search result pages: highlighted, escaped, numbered, and always one valid message."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.emulator.html import parse_html
from bot.render.search import MAX_MARKS, MAX_PER_PAGE, bound_segments, render_search_page
from bot.render.split import MAX_CHARS, MAX_ENTITIES
from bot.search.query import Notice
from bot.search.snippet import Segment, mark

NOTICES: tuple[Notice, ...] = ("query_cut", "too_many_terms", "term_cut", "nothing_to_search")
TEXT = "低比特量化是模型压缩的重要方法，量化后模型更小。<script>&"


@dataclass(frozen=True)
class Hit:
    """The shape bot.search.engine.SearchResult gives to the page."""

    title: str
    url: str | None
    issue_date: str | None
    section: str | None
    title_segments: tuple[Segment, ...]
    snippet_segments: tuple[Segment, ...]


def _hit(
    title: str,
    url: str | None,
    date: str | None,
    snippet: str,
    *needles: str,
    section: str | None = "论文",
) -> Hit:
    return Hit(title, url, date, section, mark(title, needles), mark(snippet, needles))


def _bold(html: str) -> list[str]:
    parsed = parse_html(html)
    return [
        parsed.plain[e["offset"] : e["offset"] + e["length"]]
        for e in parsed.entities
        if e["type"] == "bold"
    ]


def test_a_page_numbers_results_and_bolds_the_matches() -> None:
    hit = _hit('HAWQ "混合精度" <量化>', "https://a.example/x?a=1&b=2", "2021-01-05", TEXT, "量化")
    html = render_search_page([hit, hit], query="量化 <b>", total=12, page=2, pages=3)
    plain = parse_html(html).plain
    header = "搜索“量化 <b>”：共 12 条 · 第 2/3 页"
    assert plain.startswith(
        header + '\n\n6. HAWQ "混合精度" <量化>\n2021-01-05 期 · 论文\n低比特量化是'
    )
    assert "\n\n7. HAWQ" in plain
    assert "<script>&" in plain and "<script>" not in html
    assert _bold(html) == [header] + ["量化"] * 6
    links = [e for e in parse_html(html).entities if e["type"] == "text_link"]
    assert [e["url"] for e in links] == ["https://a.example/x?a=1&b=2"] * 2


def test_spaces_around_matches_are_kept() -> None:
    hit = _hit("x", None, None, "  HAWQ (音同Hawk)  量化 & 剪枝\n", "hawq", "量化", section=None)
    plain = parse_html(render_search_page([hit], query="hawq", total=1)).plain
    assert plain.endswith("1. x\nHAWQ (音同Hawk) 量化 & 剪枝")


def test_sections_are_named_in_the_chat_language() -> None:
    hit = _hit("HAWQ", None, "2021-01-05", "", "hawq")
    en = parse_html(render_search_page([hit], query="hawq", total=1, lang="en")).plain
    assert en.startswith("Search “hawq”: 1 found · page 1/1\n\n1. HAWQ\nissue 2021-01-05 · Papers")


def test_no_result_gives_tips_in_the_chat_language() -> None:
    zh = parse_html(render_search_page([], query="不存在", total=0)).plain
    assert zh.startswith("没有找到“不存在”。\n试试：更短的词")
    en = render_search_page(
        [], query="<none>", total=0, lang="en", notices=["query_cut", "nothing_to_search"]
    )
    assert parse_html(en).plain == (
        "Nothing found for “<none>”.\nTry shorter words (“quant” rather than “quantizations”), "
        "product names (NCNN, int8), or fewer words and exclusions.\n"
        "The query was too long: only its first 200 characters were used.\n"
        "Search with letters, digits or Chinese characters; a word starting with - only excludes."
    )


def test_notices_follow_the_header_in_italics() -> None:
    hit = _hit("HAWQ", None, "2021-01-05", "", "hawq")
    html = render_search_page([hit], query="hawq", total=1, notices=["too_many_terms"] * 2)
    parsed = parse_html(html)
    header = "搜索“hawq”：共 1 条 · 第 1/1 页\n关键词太多，只用了前 8 个。"
    assert parsed.plain.startswith(header + "\n\n1.")
    italic = [e for e in parsed.entities if e["type"] == "italic"]
    assert len(italic) == 2  # the notice once, and the result's issue line


def test_only_web_links_are_linked_and_empty_titles_named() -> None:
    bad = _hit("", "javascript:alert(1)", "2020-01-01", "摘要", section="Misc")
    html = render_search_page([bad], query="x", total="1000+", lang="en")
    assert "javascript" not in html
    assert parse_html(html).plain.endswith("1. (untitled)\nissue 2020-01-01 · Misc\n摘要")
    assert "1000+ found" in html


def test_snippets_are_bounded_in_length_and_marks() -> None:
    bounded = bound_segments(mark("量化" * 200, ["量化"]))
    assert sum(len(t) for t, _ in bounded) <= 240
    assert sum(m for _, m in bounded) == MAX_MARKS
    assert bounded[-1][0].endswith("…")


def test_the_fullest_page_still_fits_one_message() -> None:
    dense = "量化 " * 300
    hit = _hit(dense, "https://e.x/" + "q" * 200, "2" * 100, dense, "量化", section="s" * 100)
    html = render_search_page(
        [hit] * 10, query="量" * 300, total="1000+", page=200, per_page=50, notices=NOTICES
    )
    parsed = parse_html(html)
    assert parsed.plain.count("\n\n") == MAX_PER_PAGE  # header, then 6 results
    assert parsed.plain.count("量化") > MAX_PER_PAGE * 2 * MAX_MARKS  # not all in bold
    assert len(parsed.plain) <= MAX_CHARS and len(parsed.entities) <= MAX_ENTITIES


text = st.text(alphabet=st.characters(codec="utf-8"), max_size=400)
result = st.builds(
    lambda title, url, date, snippet, needle, section: _hit(
        title, url, date, snippet, needle, section=section
    ),
    title=text,
    url=st.one_of(st.none(), st.text(max_size=50), st.just('https://e.x/?q=<&>"')),
    date=st.one_of(st.none(), st.text(max_size=100)),
    section=st.one_of(st.none(), st.just("论文"), st.text(max_size=100)),
    snippet=text,
    needle=st.sampled_from(["量化", "a", "<", "&", "e"]),
)


@settings(max_examples=60, deadline=None)
@given(
    results=st.lists(result, max_size=12),
    query=st.text(max_size=300),
    notices=st.lists(st.sampled_from(NOTICES), max_size=6),
)
def test_any_page_is_one_valid_message(
    results: list[Hit], query: str, notices: list[Notice]
) -> None:
    html = render_search_page(
        results, query=query, total=len(results), per_page=50, notices=notices
    )
    parsed = parse_html(html)
    assert 0 < len(parsed.plain) <= MAX_CHARS
    assert len(parsed.entities) <= MAX_ENTITIES
