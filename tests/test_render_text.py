"""Trimming and cutting summaries: at sentence ends, with nothing lost."""

from __future__ import annotations

import re

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


def test_trim_never_ends_on_a_list_number() -> None:
    text = "本文有4点贡献：1. 提出了首个轻骨干检测器并取得了很好的性能； 2. 提出了新结构； 3. 实验"
    assert trim(text, 40) == "本文有4点贡献：1. 提出了首个轻骨干检测器并取得了很好的性能" + ELLIPSIS
    english = "Our contributions: 1. faster inference on phones; 2. smaller models; 3. open code"
    assert trim(english, 60) == "Our contributions: 1. faster inference on phones" + ELLIPSIS
    numbered = "主要贡献有三点：(1) 提出一种新的量化方法 (2) 在移动端验证 (3) 开源代码"
    assert trim(numbered, 30) == "主要贡献有三点：(1) 提出一种新的量化方法" + ELLIPSIS
    listed = "概念如下： 1. 存储；2. 计算；3. 通信和同步的开销都很大"
    assert trim(listed, 16) == "概念如下： 1. 存储" + ELLIPSIS


def test_trim_never_cuts_inside_a_link() -> None:
    text = "这就是基于Keras的剪枝优化工具：https://github.com/tensorflow/model-optim 欢迎试用"
    assert trim(text, 40) == "这就是基于Keras的剪枝优化工具" + ELLIPSIS
    bare = "示例地址为：github.com/PaddlePaddle/Paddle-Lite/tree/develop/lite 欢迎试用"
    assert trim(bare, 30) == "示例地址为" + ELLIPSIS


def test_a_whole_link_keeps_a_space_before_the_ellipsis() -> None:
    text = "代码见 https://github.com/Tencent/ncnn。这个版本适配了龙芯和全志的国产处理器，速度最高提升七十倍"
    out = trim(text, 40)
    assert out == "代码见 https://github.com/Tencent/ncnn " + ELLIPSIS and len(out) <= 40
    tight = "代码见 https://github.com/Tencent/ncnn 这个版本适配了龙芯和全志的国产处理器"
    assert trim(tight, 36) == "代码见" + ELLIPSIS, "no room for the space: cut before the link"


def test_trim_prefers_a_sentence_end_within_the_window() -> None:
    text = "高通发布了三款面向移动设备的新芯片。此外，高通还宣布了一款新产品，名为 Cloud AI 100 等"
    assert trim(text, 40) == "高通发布了三款面向移动设备的新芯片" + ELLIPSIS


def test_chunk_keeps_links_whole_when_they_fit() -> None:
    text = "一二三四五六七八九十代码见https://x.cn/ab/cd了解更多"
    assert chunk(text, 20) == ["一二三四五六七八九十代码见", "https://x.cn/ab/cd了解", "更多"]


PIECES = [
    *"量化 。；：，②",
    *("剪枝", "1. ", "2.", "(3)", "a) ", "\n", "见 ", "Net ", "v2.0"),
    *(" https://github.com/x/y", " www.a.cn/b"),
]


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(PIECES),
        max_size=60,
    ).map("".join),
    limit=st.integers(min_value=8, max_value=80),
)
def test_trim_stays_in_bounds_and_never_splits_a_link(text: str, limit: int) -> None:
    out = trim(text, limit)
    assert len(out) <= limit
    if out == text:
        return
    head = out.removesuffix(ELLIPSIS).rstrip()
    assert text.startswith(head)
    for match in re.finditer(r"https://github\.com/x/y|www\.a\.cn/b", text):
        if not re.search(r"\w", text[: match.start()]):
            continue  # nothing but a link longer than the limit: it must be cut
        assert not match.start() < len(head) < match.end(), (text, out)


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
