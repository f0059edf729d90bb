"""Shapes a later issue may take that the 2019-2022 issues did not use.

Each test is one variation seen as plausible for a future issue (another summary
label, numbered entries, numbered section headings, bars without spaces, footers
without their 往期回顾 heading) written by hand on a tiny issue.
"""

from __future__ import annotations

import pytest

from bot.digest.parse import parse_issue

HEAD = "# 嵌入式AI简报 (2023-05-01)：测试\n\n"

Row = tuple[str, str, str | None, str | None, str]


def _rows(text: str) -> list[Row]:
    issue = parse_issue(HEAD + text)
    return [(e.section, e.title, e.source, e.url, e.summary) for e in issue.entries]


@pytest.mark.parametrize(
    "label",
    [
        "摘要：",
        "摘要:",
        "摘要 ：",
        "**摘要**：",
        "**摘要：**",
        "【摘要】",
        "[摘要]：",
        "Abstract: ",
    ],
)
def test_summary_label_variants(label: str) -> None:
    text = f"## 论文\n\n- [标题甲 | 来源](https://a.example/1)  \n{label}第一句。  \n第二句。\n"
    assert _rows(text) == [("论文", "标题甲", "来源", "https://a.example/1", "第一句。\n第二句。")]


def test_summary_as_a_bullet_holding_a_link_continues_the_entry() -> None:
    text = (
        "## 博文\n\n- [标题甲 | 来源](https://a.example/1)\n"
        "- 摘要：讲解热力图，另见[幻灯片](https://slides.example/x)。\n"
        "- [标题乙 | 来源](https://a.example/2)\n"
    )
    assert _rows(text) == [
        ("博文", "标题甲", "来源", "https://a.example/1", "讲解热力图，另见幻灯片。"),
        ("博文", "标题乙", "来源", "https://a.example/2", ""),
    ]


def test_numbered_entries_with_numbered_points_in_their_summary() -> None:
    text = (
        "## 开源项目\n\n"
        "1. [org/engine: 推理引擎](https://github.com/org/engine)  \n"
        "摘要：新版本带来：\n"
        "   1. Vulkan后端；\n"
        "   2. INT4量化。\n"
        "2. 没有链接的项目 | 开源中国  \n"
        "摘要：只有来源。\n"
        "3. [2301.00002] [TinyQuant](https://arxiv.org/abs/2301.00002)\n"
    )
    assert _rows(text) == [
        (
            "开源项目",
            "org/engine: 推理引擎",
            None,
            "https://github.com/org/engine",
            "新版本带来：\n1. Vulkan后端；\n2. INT4量化。",
        ),
        ("开源项目", "没有链接的项目", "开源中国", None, "只有来源。"),
        ("开源项目", "TinyQuant", None, "https://arxiv.org/abs/2301.00002", ""),
    ]


def test_a_numbered_list_after_a_summary_stays_in_it() -> None:
    text = (
        "## 论文\n\n- [标题甲 | 来源](https://a.example/1)\n摘要：对比了两种引擎：\n\n"
        "1. [ncnn](https://github.com/Tencent/ncnn)：移动端；\n2. 另一种：服务端。\n"
    )
    assert _rows(text) == [
        (
            "论文",
            "标题甲",
            "来源",
            "https://a.example/1",
            "对比了两种引擎：\n1. ncnn：移动端；\n2. 另一种：服务端。",
        )
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("## 一、业界新闻", "## 二、论文"),
        ("## 1. 业界新闻", "## 2. 论文"),
        ("## （一）业界新闻", "## （二）论文"),
        ("## 📰 业界新闻", "## 📄 论文"),
        ("### 业界新闻", "### 论文"),
    ],
)
def test_numbered_and_decorated_section_headings(first: str, second: str) -> None:
    text = f"{first}\n\n- [新闻 | 来源](https://a.example/1)\n\n{second}\n\n- [论文甲](https://b.example/2)\n"
    issue = parse_issue(HEAD + text)
    assert issue.sections == ("业界新闻", "论文")
    assert [(e.section, e.title) for e in issue.entries] == [
        ("业界新闻", "新闻"),
        ("论文", "论文甲"),
    ]


def test_video_and_tutorial_subsections_are_sections() -> None:
    text = (
        "## 博文\n\n- [博文甲 | 来源](https://a.example/1)\n\n"
        "### 🎬 视频\n\n- [视频甲 | B站](https://b.example/2)\n\n"
        "### 教程\n\n- [教程甲 | 来源](https://c.example/3)\n"
    )
    assert [(row[0], row[1]) for row in _rows(text)] == [
        ("博文", "博文甲"),
        ("视频", "视频甲"),
        ("教程", "教程甲"),
    ]


@pytest.mark.parametrize("bar", ["｜", "|", " ｜ ", "｜ "])
def test_source_bar_without_spaces_or_full_width(bar: str) -> None:
    text = f"## 博文\n\n- [端侧部署的坑{bar}工程师笔记](https://a.example/1)\n"
    assert _rows(text) == [("博文", "端侧部署的坑", "工程师笔记", "https://a.example/1", "")]


def test_a_tight_bar_before_a_long_sentence_is_part_of_the_title() -> None:
    text = "## 博文\n\n- [首发｜精度、速度、效率全面提升的新网络结构](https://a.example/1)\n"
    assert _rows(text) == [
        ("博文", "首发｜精度、速度、效率全面提升的新网络结构", None, "https://a.example/1", "")
    ]


def test_source_after_the_link_keeps_the_whole_link_text_as_title() -> None:
    text = "## 论文\n\n- [新方法登顶榜单｜在线可玩](https://a.example/1) | 量子位\n"
    assert _rows(text) == [
        ("论文", "新方法登顶榜单｜在线可玩", "量子位", "https://a.example/1", "")
    ]


@pytest.mark.parametrize(
    "footer",
    [
        '<a rel="license" href="http://creativecommons.org/licenses/by-sa/2.0/">许可</a>'
        "<br />本作品采用知识共享许可协议。\n",
        "本作品采用[知识共享署名 2.0 许可协议](http://creativecommons.org/licenses/by-sa/2.0/)。\n",
        "| 2 | 0 | 2 | 3 |\n|:---:|:---:|:---:|:---:|\n| [2023-04-17](../a.md) | | | |\n",
        "- [2023-04-17](https://example.com/2023-04-17.md)\n"
        "- [嵌入式AI简报 (2023-04-03)](https://example.com/2023-04-03.md)\n",
    ],
)
def test_footers_without_a_heading_are_neither_entries_nor_summary(footer: str) -> None:
    text = f"## 博文\n\n- [博文甲 | 来源](https://a.example/1)\n摘要：正文。\n\n{footer}"
    assert _rows(text) == [("博文", "博文甲", "来源", "https://a.example/1", "正文。")]


def test_a_rule_between_entries_does_not_end_the_section() -> None:
    text = (
        "## 论文\n\n---\n\n- [论文甲 | 来源](https://a.example/1)\n摘要：甲。\n\n---\n\n"
        "- [2301.00003] [论文乙](https://arxiv.org/abs/2301.00003)\n\n----\n\n"
        "- [2023-04-17](https://example.com/2023-04-17.md)\n- Editor: https://example.com/ed\n"
    )
    assert _rows(text) == [
        ("论文", "论文甲", "来源", "https://a.example/1", "甲。"),
        ("论文", "论文乙", None, "https://arxiv.org/abs/2301.00003", ""),
    ]


def test_emoji_before_a_head_is_not_part_of_the_title() -> None:
    text = (
        "## 业界新闻\n\n1. 🔥 没有链接的新闻 | 来源甲\n摘要：甲。\n"
        "2. ⭐️ [有链接的新闻 | 来源乙](https://a.example/2)\n"
    )
    assert _rows(text) == [
        ("业界新闻", "没有链接的新闻", "来源甲", None, "甲。"),
        ("业界新闻", "有链接的新闻", "来源乙", "https://a.example/2", ""),
    ]
