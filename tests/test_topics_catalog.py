"""The topic catalogue and matcher on hand-written text (no corpus)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.digest.model import Entry
from bot.topics.catalog import (
    CATALOG_VERSION,
    CatalogError,
    load_catalog,
    parse_catalog,
    resolve,
    suggest,
)
from bot.topics.match import (
    Matcher,
    TopicHit,
    _trie_pattern,
    match_free_word,
    tag_entry,
    tag_text,
)


def entry(title: str, summary: str = "", source: str | None = "某公众号") -> Entry:
    return Entry(
        section="博文",
        position=1,
        title=title,
        source=source,
        url="https://example.com/x",
        summary=summary,
    )


def slugs(hits: tuple[TopicHit, ...]) -> set[str]:
    return {hit.slug for hit in hits}


# -- the packaged catalogue -------------------------------------------------------


def test_packaged_catalogue_is_valid_and_has_the_required_topics() -> None:
    catalog = load_catalog()
    assert 20 <= len(catalog.topics) <= 30
    required = {
        "quantization", "pruning", "distillation", "nas", "lightweight", "accelerator",
        "gpu", "compiler", "inference-engine", "deployment", "kernels", "detection", "face",
        "ocr", "speech", "transformer", "riscv", "tinyml", "autonomous-driving", "robotics",
        "industry", "hiring",
    }  # fmt: skip
    assert required <= {topic.slug for topic in catalog.topics}
    assert catalog.version == CATALOG_VERSION
    assert len(CATALOG_VERSION) == 16


@pytest.mark.parametrize(
    ("word", "slug"),
    [
        ("量化", "quantization"),
        ("quantization", "quantization"),
        ("Quantisation", "quantization"),
        ("INT8", "quantization"),
        ("ｉｎｔ８", "quantization"),  # full-width
        ("低比特", "quantization"),
        ("#量化", "quantization"),
        ("剪枝", "pruning"),
        ("Pruning", "pruning"),
        ("蒸馏", "distillation"),
        ("蒸餾", "distillation"),  # Traditional
        ("知識蒸餾", "distillation"),
        ("NPU", "accelerator"),
        ("ai accelerator", "accelerator"),
        ("AI-Accelerator", "accelerator"),
        ("编译器", "compiler"),
        ("編譯器", "compiler"),  # Traditional
        ("Compiler", "compiler"),
        ("推理框架", "inference-engine"),
        ("Inference Engine", "inference-engine"),
        ("inference-engine", "inference-engine"),
        ("招聘", "hiring"),
        ("RISC V", "riscv"),
    ],
)
def test_aliases_resolve_whatever_the_script_case_or_width(word: str, slug: str) -> None:
    topic = resolve(word)
    assert topic is not None and topic.slug == slug


def test_unknown_words_resolve_to_nothing_and_get_suggestions() -> None:
    assert resolve("量子计算") is None
    assert resolve("") is None
    assert [topic.slug for topic in suggest("量化感知")][:1] == ["quantization"]
    assert "pruning" in [topic.slug for topic in suggest("剪裁")]
    assert "compiler" in [topic.slug for topic in suggest("compilers")]
    assert "inference-engine" in [topic.slug for topic in suggest("inference")]
    assert len(suggest("量化感知", n=2)) <= 2
    assert suggest("zzzzzz") == []


# -- matching ---------------------------------------------------------------------


def test_a_topic_in_the_title_tags_the_entry_and_names_the_term() -> None:
    hits = tag_entry(entry("用 INT8 量化加速 MobileNet 推理"))
    assert TopicHit("quantization", "量化") in hits
    assert TopicHit("quantization", "INT8") in hits
    assert "lightweight" in slugs(hits)


@pytest.mark.parametrize(
    "title",
    [
        "轻量化网络设计的十个技巧",  # lightweight, not quantization
        "向量化指令让循环更快",  # vectorization
        "如何量化评估一个推荐系统",  # quantify
        "这项收益可量化吗",
        "量化交易入门",  # quant finance
    ],
)
def test_negative_contexts_do_not_count_for_quantization(title: str) -> None:
    assert "quantization" not in slugs(tag_entry(entry(title)))


def test_lightweight_still_counts_where_it_masks_quantization() -> None:
    assert "lightweight" in slugs(tag_entry(entry("轻量化网络设计的十个技巧")))


def test_a_real_occurrence_elsewhere_still_counts() -> None:
    hits = tag_entry(entry("轻量化网络与量化", "本文先讲轻量化设计。"))
    assert TopicHit("quantization", "量化") in hits
    hits = tag_entry(entry("训练技巧", "梯度裁剪之外，本文还介绍了通道剪枝。"))
    assert "pruning" in slugs(hits)
    hits = tag_entry(entry("方舟编译器开源了", "对比了 TVM 等深度学习编译器。"))
    assert "compiler" in slugs(hits)


def test_gradient_clipping_ark_compiler_and_a_teacher_do_not_count() -> None:
    assert "pruning" not in slugs(tag_entry(entry("梯度裁剪的原理")))
    assert "compiler" not in slugs(tag_entry(entry("华为方舟编译器让安卓更流畅")))
    assert "distillation" not in slugs(tag_entry(entry("于老师组开源了人脸检测库")))
    assert "distillation" in slugs(tag_entry(entry("用老师模型指导学生模型")))
    assert "distillation" in slugs(tag_entry(entry("知识蒸馏综述")))


@pytest.mark.parametrize(
    ("text", "slug", "expected"),
    [
        ("INT8 推理", "quantization", True),
        ("int8_t 矩阵", "quantization", True),
        ("print8 函数", "quantization", False),
        ("NPU 加速", "accelerator", True),
        ("手机NPU", "accelerator", True),
        ("the inputs are images", "accelerator", False),
        ("NAS 搜索出的结构", "nas", True),
        ("the dynast library", "nas", False),
        ("多块GPUs训练", "gpu", True),
        ("YOLOv5 目标检测", "detection", True),
        ("64-bit ARM", "quantization", False),
        ("2-bit 权重", "quantization", True),
        ("Facebook 发布新论文", "face", False),
        ("TVM 自动调优", "compiler", True),
    ],
)
def test_short_latin_terms_need_word_boundaries(text: str, slug: str, expected: bool) -> None:
    assert (slug in slugs(tag_entry(entry(text)))) is expected


def test_matching_is_case_width_and_script_insensitive() -> None:
    assert "inference-engine" in slugs(tag_entry(entry("ＮＣＮＮ 发布新版本")))
    assert "inference-engine" in slugs(tag_entry(entry("TensorRT 8 released")))
    assert "pruning" in slugs(tag_entry(entry("模型剪枝實踐")))  # Traditional 實踐
    assert "distillation" in slugs(tag_entry(entry("知識蒸餾")))


def test_a_passing_mention_deep_in_a_long_summary_does_not_count() -> None:
    filler = "本文介绍一个新的目标检测数据集及其标注流程。" * 12
    aside = filler + "作者还提到将来会尝试量化。"
    assert "quantization" not in slugs(tag_entry(entry("新的数据集", aside)))
    lead = "本文用量化把模型压缩到 1MB。" + filler
    assert "quantization" in slugs(tag_entry(entry("新的数据集", lead)))
    twice = filler + "量化之后，再做一次量化感知训练。"
    assert "quantization" in slugs(tag_entry(entry("新的数据集", twice)))


def test_weak_terms_need_support() -> None:
    spec = "这颗芯片 INT8 算力为 4 TOPS，功耗 2W。"
    assert "quantization" not in slugs(tag_entry(entry("新芯片发布", spec)))
    assert "quantization" in slugs(tag_entry(entry("INT8 推理实践", spec)))


def test_tag_text_is_a_summary_without_title() -> None:
    assert "quantization" in slugs(tag_text("本文介绍模型量化。"))


# -- a reader's free word ---------------------------------------------------------


def test_free_word_keeps_substring_semantics() -> None:
    assert match_free_word("这里有个新词：存算一体芯片", "存算一体")
    assert not match_free_word("完全无关", "存算一体")
    assert match_free_word("ＮＣＮＮ 新版本", "ncnn")


def test_free_word_masks_the_negatives_of_the_topic_it_overlaps() -> None:
    assert not match_free_word("轻量化网络设计", "量化")
    assert not match_free_word("向量化与可量化的收益", "量化")
    assert match_free_word("轻量化网络与量化", "量化")
    assert match_free_word("轻量化网络设计", "轻量")  # 轻量化 masks 量化, not 轻量
    assert not match_free_word("方舟编译器", "编译器")
    assert not match_free_word("", "量化")
    assert not match_free_word("量化", " ")


# -- a malformed catalogue --------------------------------------------------------

GOOD = """
[[topic]]
slug = "a"
zh = "甲"
en = "alpha"
aliases = ["first"]
terms = ["甲"]
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[topic]\nslug=", "is not valid TOML"),
        ("title = 'x'", "has no [[topic]] tables"),
        (GOOD + GOOD, "slug 'a' is used by two topics"),
        (GOOD + GOOD.replace('"a"', '"b"').replace("alpha", "beta").replace("甲", "乙"),
         "'first' of topic 'b' is already an alias of topic 'a'"),
        (GOOD.replace('terms = ["甲"]', "terms = []"), "terms must not be empty"),
        (GOOD.replace('terms = ["甲"]', 'terms = ["甲", " "]'), "terms holds an empty string"),
        (GOOD.replace('terms = ["甲"]', ""), "terms must be a list of strings"),
        (GOOD.replace('slug = "a"', 'slug = "A b"'), "slug must be lowercase ascii"),
        (GOOD.replace('zh = "甲"', ""), "zh must be a non-empty string"),
        (GOOD + "colour = 1\n", "unknown key(s): colour"),
        (GOOD + "min_mentions = 0\n", "min_mentions must be a whole number"),
    ],
)  # fmt: skip
def test_a_malformed_catalogue_gives_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value).strip()


def test_a_small_catalogue_can_be_compiled_and_used() -> None:
    catalog = parse_catalog(GOOD)
    assert catalog.resolve("First") is catalog.topics[0]
    assert catalog.version != parse_catalog(GOOD + "\n").version
    matcher = Matcher(catalog)
    assert matcher.tag("甲的新闻", "") == (TopicHit("a", "甲"),)


def test_the_topics_package_is_pure() -> None:
    """bot.topics may use only bot.text, bot.digest.model and the standard library."""
    code = (
        "import sys; import bot.topics.catalog, bot.topics.match, bot.topics.quality;"
        "print(sorted(m for m in sys.modules if m.startswith('bot.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(ast.literal_eval(out.stdout.strip()))
    allowed = {"bot.text", "bot.text.normalize", "bot.digest", "bot.digest.model"}
    assert {m for m in loaded if not m.startswith("bot.topics")} <= allowed


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.text("ab量化c", min_size=1, max_size=5), min_size=1, max_size=12),
    text=st.text("ab量化c ", max_size=30),
)
def test_the_factored_regex_finds_what_a_longest_first_alternation_finds(
    words: list[str], text: str
) -> None:
    ordered = sorted(set(words), key=lambda word: (-len(word), word))
    flat = re.compile("|".join(re.escape(word) for word in ordered))
    factored = re.compile(_trie_pattern(ordered))
    assert [m.span() for m in factored.finditer(text)] == [m.span() for m in flat.finditer(text)]
