"""Trimming and cutting summaries: at sentence ends, with nothing lost."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render.text import ELLIPSIS, chunk, clean, to_plain, trim

SUMMARY = "第一句话讲量化。第二句话讲剪枝！第三句话讲蒸馏？第四句话讲部署；最后一句没有结尾"


def test_short_text_is_not_trimmed() -> None:
    assert trim(SUMMARY, len(SUMMARY)) == SUMMARY
    assert trim(SUMMARY, None) == SUMMARY


def test_trim_stops_at_a_sentence_end_with_an_ellipsis() -> None:
    out = trim(SUMMARY, 20)
    assert out == "第一句话讲量化。第二句话讲剪枝！" + ELLIPSIS
    assert len(out) <= 20


def test_trim_drops_a_final_full_stop_before_the_ellipsis() -> None:
    assert trim(SUMMARY, 12) == "第一句话讲量化" + ELLIPSIS


def test_trim_without_any_sentence_end_cuts_at_a_space_or_the_limit() -> None:
    assert trim("alpha beta gamma delta epsilon", 14) == "alpha beta" + ELLIPSIS
    assert trim("一" * 50, 10) == "一" * 9 + ELLIPSIS


def test_chunk_prefers_paragraphs_then_sentences() -> None:
    text = "第一段第一句。第一段第二句。\n第二段只有一句。"
    assert chunk(text, 15) == ["第一段第一句。第一段第二句。", "第二段只有一句。"]
    assert chunk("甲乙丙。丁戊己；庚辛壬！", 8) == ["甲乙丙。丁戊己；", "庚辛壬！"]


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("量化剪枝ab 。！？；.\n")), max_size=400),
    size=st.integers(min_value=1, max_value=60),
)
def test_chunk_loses_nothing_and_respects_the_size(text: str, size: int) -> None:
    pieces = chunk(text, size)
    assert all(0 < len(p) <= size for p in pieces)
    squash = "".join(text.split())
    assert "".join("".join(p.split()) for p in pieces) == squash


def test_clean_drops_blank_lines_and_runs_of_spaces() -> None:
    assert clean("  a   b \n\n\n  c\u3000\u3000d  \n") == "a b\nc d"


def test_to_plain_decodes_entities_and_counts_tags() -> None:
    plain, entities = to_plain('<b><a href="https://x.y/?a=1&amp;b=2">A &lt;b&gt; &amp;</a></b> z')
    assert (plain, entities) == ("A <b> & z", 2)
