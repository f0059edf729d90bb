"""Search result pages: highlighted, escaped, numbered, and always one valid message."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.emulator.html import parse_html
from bot.render.search import MAX_MARKS, bound_segments, render_search_page
from bot.render.split import MAX_CHARS, MAX_ENTITIES
from bot.search.snippet import Segment, mark

TEXT = "低比特量化是模型压缩的重要方法，量化后模型更小。<script>&"


@dataclass(frozen=True)
class Hit:
    """The shape bot.search.engine.SearchResult gives to the page."""

    title: str
    url: str | None
    issue_date: str | None
    title_segments: tuple[Segment, ...]
    snippet_segments: tuple[Segment, ...]


def _hit(title: str, url: str | None, date: str | None, snippet: str, *needles: str) -> Hit:
    return Hit(title, url, date, mark(title, needles), mark(snippet, needles))


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
    assert plain.startswith(header + '\n\n6. HAWQ "混合精度" <量化> · 2021-01-05 期\n低比特量化')
    assert "\n\n7. HAWQ" in plain
    assert "<script>&" in plain and "<script>" not in html
    assert _bold(html) == [header] + ["量化"] * 6
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


def test_only_web_links_are_linked_and_empty_titles_named() -> None:
    bad = _hit("", "javascript:alert(1)", "2020-01-01", "摘要")
    html = render_search_page([bad], query="x", total="1000+", lang="en")
    assert "javascript" not in html
    assert parse_html(html).plain.endswith("1. (untitled) · issue 2020-01-01\n摘要")
    assert "1000+ results" in html


def test_snippets_are_bounded_in_length_and_marks() -> None:
    bounded = bound_segments(mark("量化" * 200, ["量化"]))
    assert sum(len(t) for t, _ in bounded) <= 240
    assert sum(m for _, m in bounded) == MAX_MARKS
    assert bounded[-1][0].endswith("…")


text = st.text(alphabet=st.characters(codec="utf-8"), max_size=400)
result = st.builds(
    lambda title, url, date, snippet, needle: _hit(title, url, date, snippet, needle),
    title=text,
    url=st.one_of(st.none(), st.text(max_size=50), st.just("https://e.x/?q=<&>\"")),
    date=st.one_of(st.none(), st.text(max_size=20)),
    snippet=text,
    needle=st.sampled_from(["量化", "a", "<", "&", "e"]),
)


@settings(max_examples=60, deadline=None)
@given(results=st.lists(result, max_size=12), query=st.text(max_size=300))
def test_any_page_is_one_valid_message(results: list[Hit], query: str) -> None:
    html = render_search_page(results, query=query, total=len(results), per_page=50)
    parsed = parse_html(html)
    assert 0 < len(parsed.plain) <= MAX_CHARS
    assert len(parsed.entities) <= MAX_ENTITIES
