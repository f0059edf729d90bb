"""Arbitrary text never makes the parser or lint raise."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.digest.export import issue_document
from bot.digest.lint import lint_issue
from bot.digest.parse import parse_issue

FRAGMENTS = [
    "# 嵌入式AI简报 (2021-01-05) ",
    "# 嵌入式AI简报 (2020-13-xx)",
    "## 论文",
    "## 🔥 业界新闻 ",
    "### 子节",
    "## [往期回顾](https://x)",
    "Title\n---",
    "- ",
    "* ",
    "  - ",
    "    1. ",
    "1. ",
    "> 导读：本次3条。",
    "> 注：",
    "热身小新闻：",
    "[1812.00332] ",
    "[标题 | 来源](https://a.example/x)",
    "[标题]()",
    "[[原文]](http://b.example)",
    "[未闭合](",
    "](",
    "<https://c.example>",
    "摘要：",
    "摘要:",
    "代码：https://github.com/x",
    " | ",
    "**",
    "`",
    "```",
    "<标题>",
    "<a href='x'>",
    "| a | b |\n|---|---|",
    "----",
    "![qr](q.jpg)",
    "- WeChat: x",
    "\ufeff",
    "\r\n",
    "\n",
    "\n\n",
    "  ",
    "\t",
    "\x00",
    "文字",
]

markdownish = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=60).map("".join)


def _check(text: str) -> None:
    issue = parse_issue(text, filename="2021-01-05.md")
    findings = lint_issue(issue, text)
    total_lines = text.count("\n") + text.count("\r") + 2
    for entry in issue.entries:
        assert 0 <= entry.line <= total_lines
        assert entry.url is None or entry.url.lower().startswith(("http://", "https://"))
    assert all(f.severity in ("error", "warning", "info") for f in findings)
    json.dumps(issue_document("x.md", issue), ensure_ascii=False)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_never_raises(text: str) -> None:
    _check(text)


@settings(max_examples=400, deadline=None)
@given(markdownish)
def test_markdown_like_text_never_raises(text: str) -> None:
    _check(text)


def test_deep_nesting_does_not_raise() -> None:
    _check("## 论文\n\n" + "".join("  " * i + "- [x](https://a.example)\n" for i in range(300)))
    _check("## 论文\n\n" + ">" * 5000 + " 摘要：x\n")
    _check("## 论文\n\n- " + "[" * 3000 + "x" + "](https://a.example)" * 3000 + "\n")
