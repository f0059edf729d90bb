"""The parser on a hand-written issue holding every shape the real issues use."""

from __future__ import annotations

from pathlib import Path

from bot.digest.model import Issue, Link
from bot.digest.parse import parse_issue


def test_heading_gives_date_and_title(shapes_issue: Issue) -> None:
    assert shapes_issue.date == "2023-04-10"
    assert shapes_issue.title == "小芯片/量化新招/端侧大模型"
    assert shapes_issue.intro.startswith("本次12条。【新闻】虚构公司甲发布新NPU")


def test_warmups_include_lines_missing_their_dash(shapes_issue: Issue) -> None:
    assert shapes_issue.warmups == (
        "甲公司：新一代NPU流片成功，算力翻倍；",
        "乙公司：完成B轮融资，用于端侧芯片研发；",
        "丙公司：宣布开源编译器前端；",
        "丁公司：发布开发板，面向教育市场。",
        "戊公司：这一行自成段落，也缺了它的短横线。",
    )


def test_sections_in_order_with_decoration_removed(shapes_issue: Issue) -> None:
    assert shapes_issue.sections == ("业界新闻", "论文", "开源项目", "博文", "应用")
    assert [e.section for e in shapes_issue.entries] == [
        "业界新闻",
        "业界新闻",
        "论文",
        "论文",
        "论文",
        "论文",
        "开源项目",
        "开源项目",
        "博文",
        "应用",
    ]


def test_plain_entry_title_source_url_summary(shapes_issue: Issue) -> None:
    first = shapes_issue.entries[0]
    assert (first.title, first.source) == ("甲公司发布第三代NPU：能效提升40%", "芯片日报")
    assert first.url == "https://news.example.com/npu-3"
    assert (
        first.summary
        == "甲公司发布第三代神经网络处理器，能效提升40%。\n第二段：支持INT4与混合精度推理。"
    )
    assert first.line == 26
    assert first.position == 1
    assert first.tag is None


def test_source_is_text_after_the_last_bar(shapes_issue: Issue) -> None:
    entry = shapes_issue.entries[1]
    assert (entry.title, entry.source) == ("乙公司的移动端推理白皮书 | 乙公司", "官方博客")


def test_nested_bullets_and_following_paragraphs_stay_in_the_summary(shapes_issue: Issue) -> None:
    entry = shapes_issue.entries[1]
    assert entry.summary.splitlines() == [
        "白皮书介绍了三种部署方式：",
        "- 纯CPU推理；",
        "- GPU委托；",
        "- NPU直连。",
        "这一段紧跟在列表之后，仍然属于上一条的摘要。",
    ]
    assert entry.links == (Link("主页", "https://whitepaper.example.com"),)


def test_tagged_paper_with_extra_links_and_ascii_colon(shapes_issue: Issue) -> None:
    paper = shapes_issue.entries[2]
    assert paper.tag == "2301.00001"
    assert paper.title == "QuantX: Low-bit Quantization for Tiny Devices"
    assert paper.source is None
    assert paper.url == "https://arxiv.org/abs/2301.00001"
    assert paper.links == (
        Link("原文", "https://mp.example.com/quantx"),
        Link("机器之心解读", "https://jqr.example.com/quantx"),
    )
    assert paper.summary == "提出一种4比特量化方法，精度损失小于1%。"


def test_labelled_links_and_summary_without_prefix(shapes_issue: Issue) -> None:
    paper = shapes_issue.entries[3]
    assert paper.tag == "SysML 2023"
    assert (paper.title, paper.source) == ("剪枝与蒸馏的联合优化", "学术头条")
    assert [link.text for link in paper.links] == ["代码", "文章"]
    assert paper.summary == "这篇摘要没有“摘要”前缀，直接写正文。"


def test_star_bullet_in_a_subsection_keeps_its_section(shapes_issue: Issue) -> None:
    entry = shapes_issue.entries[4]
    assert entry.section == "论文"
    assert entry.title == "INT8推理中的校准误差分析"
    assert entry.summary.splitlines() == [
        "分析了三种校准方法：",
        "1. 最大值校准；",
        "2. 百分位校准；",
        "3. KL散度校准。",
    ]


def test_empty_link_and_unlinked_bullet_have_no_url(shapes_issue: Issue) -> None:
    empty, unlinked = shapes_issue.entries[5], shapes_issue.entries[6]
    assert (empty.title, empty.source, empty.url) == ("还没有链接的论文", "某会议", None)
    assert empty.summary == "作者尚未放出链接。"
    assert (unlinked.title, unlinked.source, unlinked.url) == (
        "推理引擎乙发布2.0版本",
        "开源中国",
        None,
    )
    assert empty.key == "title:还没有链接的论文"


def test_entry_without_summary_and_the_app_section(shapes_issue: Issue) -> None:
    assert shapes_issue.entries[8].summary == ""
    assert shapes_issue.entries[9].section == "应用"


def test_nothing_from_the_footer_is_an_entry(shapes_issue: Issue) -> None:
    urls = {e.url for e in shapes_issue.entries}
    titles = " ".join(e.title for e in shapes_issue.entries)
    assert not any(u and "archive" in u for u in urls)
    assert "WeChat" not in titles and "Editor" not in titles and "2023-0" not in titles
    assert len(shapes_issue.entries) == 10
    assert "往期回顾" not in shapes_issue.sections
    assert shapes_issue.warnings == ()


def test_keys_are_stable_and_unique(shapes_issue: Issue, shapes_path: Path) -> None:
    again = parse_issue(shapes_path.read_text(encoding="utf-8"))
    assert [e.key for e in again.entries] == [e.key for e in shapes_issue.entries]
    assert len({e.key for e in shapes_issue.entries}) == 10


def test_date_falls_back_to_the_file_name() -> None:
    issue = parse_issue(
        "# 嵌入式AI简报 (2020-05-xx)\n\n## 论文\n\n- [a | b](https://a.example)\n",
        filename="2020-05-15.md",
    )
    assert issue.date == "2020-05-15"
    no_name = parse_issue("## 论文\n\n- [a | b](https://a.example)\n")
    assert no_name.date is None
    assert {w.code for w in no_name.warnings} == {"no-heading", "no-date"}


def test_summary_followed_by_a_rule_is_not_a_section() -> None:
    text = (
        "# 嵌入式AI简报 (2022-01-01)\n\n## 博文\n\n- [a | b](https://a.example)\n"
        "摘要：最后一条的摘要。\n---\n\n- Editor: https://github.com/x\n"
    )
    issue = parse_issue(text)
    assert [e.title for e in issue.entries] == ["a"]
    assert issue.entries[0].summary == "最后一条的摘要。"
    assert issue.sections == ("博文",)


def test_heading_variants() -> None:
    text = (
        "# 嵌入式AI简报（2022-01-01） \n\n## 🚀 业界新闻 ：\n\n- [a](https://a.example)\n\n"
        "### 论文  \n\n- [b](https://b.example)\n\n## 视频\n\n- [c](https://c.example)\n"
    )
    issue = parse_issue(text)
    assert issue.date == "2022-01-01"
    assert [(e.section, e.title) for e in issue.entries] == [
        ("业界新闻", "a"),
        ("论文", "b"),
        ("视频", "c"),
    ]


def test_bom_crlf_and_no_front_matter() -> None:
    text = (
        "\ufeff# 嵌入式AI简报 (2022-01-01)\r\n\r\n## 论文\r\n\r\n"
        "- [a | b](https://a.example)  \r\n摘要：x\r\n"
    )
    issue = parse_issue(text)
    assert [(e.title, e.source, e.summary) for e in issue.entries] == [("a", "b", "x")]


def _entries(body: str) -> list[tuple[str | None, str, str | None, str | None, str]]:
    issue = parse_issue("# 嵌入式AI简报 (2022-01-01)\n\n## 论文\n\n" + body)
    return [(e.tag, e.title, e.source, e.url, e.summary) for e in issue.entries]


def test_head_variants() -> None:
    assert _entries("- [标题 |来源](https://a.example)\n") == [
        (None, "标题", "来源", "https://a.example", "")
    ]
    assert _entries("- **[标题 | 来源](https://a.example)** 摘要：同一行的摘要\n") == [
        (None, "标题", "来源", "https://a.example", "同一行的摘要")
    ]
    assert _entries("- 标题 | 来源 <https://a.example/x>\n") == [
        (None, "标题", "来源", "https://a.example/x", "")
    ]
    assert _entries("- [标题](https://a.example) | 来源\n") == [
        (None, "标题", "来源", "https://a.example", "")
    ]
    assert _entries("- [ICLR2022] 无链接的论文 | 来源\n") == [
        ("ICLR2022", "无链接的论文", "来源", None, "")
    ]


def test_body_bullets_continue_the_entry() -> None:
    assert _entries(
        "- [标题](https://a.example)\n- 代码：https://github.com/x\n- 摘要：正文\n"
    ) == [(None, "标题", None, "https://a.example", "正文")]


def test_footer_without_rule_or_heading_is_not_summary() -> None:
    body = "- [标题](https://a.example)\n摘要：正文\n\nEditor: https://github.com/x  \nProject: y\n"
    assert _entries(body) == [(None, "标题", None, "https://a.example", "正文")]
    body = "- [标题](https://a.example)\n摘要：正文\n\n- WeChat: x\n- Editor: y\n"
    assert _entries(body) == [(None, "标题", None, "https://a.example", "正文")]


def test_summary_in_loose_paragraphs_after_a_blank_line() -> None:
    body = (
        "- [标题](https://a.example)\n\n摘要：第一段\n\n第二段\n\n- [下一条](https://b.example)\n"
    )
    assert _entries(body)[0][4] == "第一段\n第二段"
    assert _entries(body)[1][1] == "下一条"


def test_numbered_list_after_an_entry_is_its_summary() -> None:
    body = "- [标题](https://a.example)\n摘要：要点如下\n\n1. [第一](https://x.example)\n2. 第二\n"
    assert _entries(body) == [
        (None, "标题", None, "https://a.example", "要点如下\n1. 第一\n2. 第二")
    ]


def test_broken_links_and_bare_urls_still_give_the_url() -> None:
    assert _entries("- [标题 | 来源] (https://a.example/x)\n") == [
        (None, "标题", "来源", "https://a.example/x", "")
    ]
    assert _entries("- 标题 | 来源 https://a.example/y\n") == [
        (None, "标题", "来源", "https://a.example/y", "")
    ]


def test_impossible_heading_date_falls_back_to_the_file_name() -> None:
    text = "# 嵌入式AI简报 (2021-02-30) 标题\n\n## 论文\n\n- [a](https://a.example)\n"
    assert parse_issue(text, filename="issues/2021-03-01.md").date == "2021-03-01"
    assert parse_issue(text).date is None
    assert parse_issue(text).title == "标题"


def test_missing_sections_are_reported() -> None:
    issue = parse_issue("# 嵌入式AI简报 (2021-03-01)\n\n- [a | b](https://a.example)\n")
    assert issue.entries == ()
    assert [(w.code, w.severity) for w in issue.warnings] == [("no-sections", "warning")]


def test_urls_are_kept_as_written() -> None:
    assert (
        _entries("- [标题](https://zh.example/中文/路径)\n")[0][3] == "https://zh.example/中文/路径"
    )
    assert _entries("- [标题 | 来源](https://a.example/x y)\n")[0][1:4] == (
        "标题",
        "来源",
        "https://a.example/x y",
    )
    assert _entries("- [标题](javascript:alert(1))\n")[0][3] is None


def test_text_after_the_link_on_the_head_line_is_summary() -> None:
    assert _entries("- [标题](https://a.example)：一句话介绍。\n")[0][4] == "一句话介绍。"
    assert _entries("- [标题](https://a.example) 简介\n摘要：真正的摘要\n")[0][4] == "真正的摘要"


def test_intro_and_warmups_under_their_own_headings() -> None:
    text = (
        "# 嵌入式AI简报 (2022-01-01)\n\n## 导读\n\n本次1条。\n\n## 热身小新闻\n\n"
        "- 甲：新闻一；\n- [乙：新闻二](https://n.example)\n\n## 论文\n\n- [a](https://a.example)\n"
    )
    issue = parse_issue(text)
    assert issue.intro == "本次1条。"
    assert issue.warmups == ("甲：新闻一；", "乙：新闻二")
    assert issue.sections == ("论文",)
    assert [e.title for e in issue.entries] == ["a"]
