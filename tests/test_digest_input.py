"""What the maintainer typed reaches the reader: text that looks like HTML is kept,
links with a refused scheme neither swallow entries nor get sent (issue 11, items 11-12)."""

from __future__ import annotations

import pytest

from bot.digest.lint import lint_issue
from bot.digest.model import Finding, Issue
from bot.digest.parse import parse_issue
from bot.render.digest import render_digest
from bot.render.text import to_plain
from tests.support.emulator import EmulatorClient

HEAD = "# 嵌入式AI简报 (2022-01-01) 标题\n\n## 论文\n\n"
FIRST = "- [前一条 | 来源](https://a.example/1)\n摘要：前一条的摘要。\n"


def _parse(body: str) -> tuple[Issue, list[Finding]]:
    text = HEAD + body
    issue = parse_issue(text, filename="2022-01-01.md")
    return issue, lint_issue(issue, text)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("C++ <vector> 与 STL", "C++ <vector> 与 STL"),
        ("TensorRT<T>模板", "TensorRT<T>模板"),
        ("<b>粗体</b>与<i>斜体</i>", "粗体与斜体"),
        ('<span style="color:red">红色</span>文字', "红色文字"),
        ("a <!-- note --> b", "a  b"),
        ("std::map<K, V> 与 <unknown-tag/>", "std::map<K, V> 与 <unknown-tag/>"),
    ],
)
def test_text_that_looks_like_html_is_kept_in_titles_and_summaries(written: str, read: str) -> None:
    issue, findings = _parse(
        FIRST + f"- [{written} | 来源](https://a.example/2)\n摘要：{written}，完。\n"
    )
    entry = issue.entries[1]
    assert (entry.title, entry.source, entry.summary) == (read, "来源", f"{read}，完。")
    if "<" in read or read != written:
        assert [(f.code, f.severity, f.line) for f in findings] == [("raw-html", "warning", 7)]


def test_html_in_a_summary_paragraph_is_linted_at_its_entry() -> None:
    issue, findings = _parse(FIRST + "- [t](https://a.example/2)\n摘要：x\n\n  用 <T> 模板\n")
    assert issue.entries[1].summary == "x\n用 <T> 模板"
    assert [(f.code, f.line, "'<T>'" in f.message) for f in findings] == [("raw-html", 7, True)]


def test_a_line_break_tag_still_breaks_the_line() -> None:
    issue, findings = _parse(FIRST + "- [t](https://a.example/2)\n摘要：一<br>二<br/>三\n")
    assert issue.entries[1].summary == "一\n二\n三"
    assert findings == []


async def test_kept_text_renders_to_valid_telegram_html(emulator: EmulatorClient) -> None:
    issue, _ = _parse(
        FIRST
        + "- [C++ <vector> 与 <b>粗体</b> | 来源](https://a.example/2)\n"
        + "摘要：TensorRT<T>模板 & <script>x</script>\n"
    )
    await emulator.add_chat(77)
    for mode in ("full", "compact", "titles"):
        for part in render_digest(issue, lang="zh", mode=mode):  # type: ignore[arg-type]
            status, answer = await emulator.call(
                "sendMessage", chat_id=77, text=part.html, parse_mode="HTML"
            )
            assert status == 200, answer
            plain = to_plain(part.html)[0]
            assert "C++ <vector> 与 粗体" in plain
            if mode == "full":
                assert "TensorRT<T>模板 & <script>x</script>" in plain
    assert (await emulator.stats())["violations"] == []


REFUSED = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "data:image/png;base64,iVBORw0KGgo=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("href", REFUSED)
def test_a_refused_link_is_an_entry_without_a_link_and_a_lint_error(href: str) -> None:
    body = FIRST
    body += f"- [被拒绝 | 来源]({href})\n摘要：它的摘要。\n"
    body += f"- [无来源]({href})\n摘要：另一条。\n"
    body += f"- [后一条 | 来源](https://a.example/3) [代码]({href})\n摘要：最后。\n"
    issue, findings = _parse(body)
    shapes = [(e.title, e.source, e.url, e.links, e.summary) for e in issue.entries]
    assert shapes == [
        ("前一条", "来源", "https://a.example/1", (), "前一条的摘要。"),
        ("被拒绝", "来源", None, (), "它的摘要。"),
        ("无来源", None, None, (), "另一条。"),
        ("后一条", "来源", "https://a.example/3", (), "最后。"),
    ]
    errors = [(f.code, f.line) for f in findings if f.severity == "error"]
    lines = [7, 9] if "\t" in href else [7, 9, 11]  # an unparsed extra link is dropped text
    assert errors == [("refused-link", n) for n in lines]


def test_refused_links_never_reach_a_rendered_digest() -> None:
    body = FIRST + "".join(f"- [条目{n} | 来源]({h})\n摘要：s{n}\n" for n, h in enumerate(REFUSED))
    issue, _ = _parse(body)
    assert len(issue.entries) == 1 + len(REFUSED)
    html = "".join(p.html for p in render_digest(issue, lang="zh", mode="full"))
    for n in range(len(REFUSED)):
        assert f"条目{n}" in html
    for scheme in ("javascript", "script:", "data:", "vbscript", "file:"):
        assert scheme not in html.lower()
    assert "](" not in html


def test_html_blocks_after_an_entry_keep_their_text() -> None:
    """A paragraph that is all HTML (``<p>…</p>``, ``<vector>`` alone) was dropped whole."""
    issue, findings = _parse(
        FIRST
        + "- [t | s](https://a.example/2)\n  摘要：第一段。\n\n  <p>第二段 <b>粗体</b></p>\n\n"
        + "  <vector>\n\n- [c](https://a.example/3)\n摘要：y\n\n<div>顶层 <T> 文字</div>\n"
    )
    assert [e.summary for e in issue.entries[1:]] == [
        "第一段。\n第二段 粗体\n<vector>",
        "y\n顶层 <T> 文字",
    ]
    assert [(f.code, f.line) for f in findings] == [("raw-html", 7), ("raw-html", 14)]


def test_the_licence_html_after_the_last_entry_stays_out_of_it() -> None:
    licence = (
        '<p><a rel="license" href="http://creativecommons.org/licenses/by-sa/2.0/">'
        "知识共享署名-相同方式共享 2.0</a></p>\n"
    )
    issue, findings = _parse(FIRST + "\n" + licence)
    assert [e.summary for e in issue.entries] == ["前一条的摘要。"]
    assert findings == []
