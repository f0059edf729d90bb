"""Lint findings a maintainer relies on before releasing an issue."""

from __future__ import annotations

import cProfile
import dataclasses
import pstats
from pathlib import Path

import pytest

from bot.digest.lint import lint_issue
from bot.digest.model import Finding, Issue
from bot.digest.parse import parse_issue

HEAD = "# 嵌入式AI简报 (2022-01-01) 标题\n\n> 导读：本次2条。\n\n"


def _lint(text: str) -> list[Finding]:
    return lint_issue(parse_issue(text, filename="2022-01-01.md"), text)


def _codes(text: str) -> list[tuple[str, str, int]]:
    return [(f.code, f.severity, f.line) for f in _lint(text)]


def test_seed_findings(seed_path: Path) -> None:
    text = seed_path.read_text(encoding="utf-8")
    findings = lint_issue(parse_issue(text, filename=seed_path.name), text)
    assert [(f.code, f.severity, f.line) for f in findings] == [
        ("placeholder", "error", 5),
        ("count-mismatch", "warning", 9),
        ("no-summary", "info", 104),
    ]
    assert "<标题>" in findings[0].message
    assert "21" in findings[1].message and "17" in findings[1].message


def test_clean_issue_has_no_findings() -> None:
    text = (
        HEAD
        + "## 论文\n\n- [a | b](https://a.example)\n摘要：x\n- [c](https://c.example)\n摘要：y\n"
    )
    assert _lint(text) == []


@pytest.mark.parametrize(
    "marker",
    ["<标题>", "<链接>", "<title>", "TODO", "2020-05-xx", "2020-xx-xx", "20xx"],
)
def test_placeholders_are_errors(marker: str) -> None:
    text = HEAD + f"## 论文\n\n- [a {marker} | b](https://a.example)\n摘要：x\n"
    text += "- [c](https://c.example)\n摘要：y\n"
    found = _codes(text)
    if marker == "20xx":  # a year alone is not a date placeholder
        assert found == []
    else:
        assert found == [("placeholder", "error", 7)]


def test_html_in_footers_is_not_a_placeholder() -> None:
    text = (
        HEAD + "## 论文\n\n- [a](https://a.example)\n摘要：x\n- [c](https://c.example)\n摘要：y\n"
    )
    text += '\n----\n\n<a rel="license" href="http://x"><img alt="许可" src="y" /></a><br />\n'
    assert _lint(text) == []


def test_no_entries_is_an_error() -> None:
    assert _codes(HEAD + "## 论文\n\n正在整理中。\n") == [("no-entries", "error", 1)]


def test_count_mismatch_counts_linked_entries() -> None:
    text = HEAD.replace("2条", "3条") + "## 论文\n\n- [a](https://a.example)\n摘要：x\n"
    found = _lint(text)
    assert [(f.code, f.line) for f in found] == [("count-mismatch", 3)]
    assert "3" in found[0].message and "1 linked" in found[0].message


def test_empty_missing_and_duplicate_links() -> None:
    text = HEAD.replace("2条", "3条") + (
        "## 论文\n\n- [a]()\n摘要：x\n- 无链接 | 来源\n摘要：y\n"
        "- [c](https://c.example)\n摘要：z\n- [d](https://c.example)\n摘要：w\n"
    )
    found = _codes(text)
    assert ("empty-link", "warning", 7) in found
    assert ("empty-link", "warning", 9) in found
    assert ("duplicate-url", "warning", 13) in found


def test_unknown_section_and_missing_summary() -> None:
    text = HEAD + "## 杂谈\n\n- [a](https://a.example)\n- [b](https://b.example)\n摘要：x\n"
    assert _codes(text) == [("unknown-section", "warning", 5), ("no-summary", "info", 7)]


def test_parse_warnings_are_included() -> None:
    text = "## 论文\n\n- [a](https://a.example)\n摘要：x\n"
    issue = parse_issue(text)
    assert {f.code for f in lint_issue(issue, text)} == {"no-heading", "no-date"}


def test_real_issues_have_no_errors(corpus_issues: list[Path]) -> None:
    for path in corpus_issues:
        text = path.read_text(encoding="utf-8")
        issue = parse_issue(text, filename=path.name)
        errors = [f for f in lint_issue(issue, text) if f.severity == "error"]
        assert errors == [], path.name


def test_lint_findings_are_sorted_by_line(shapes_issue: Issue, shapes_path: Path) -> None:
    findings = lint_issue(shapes_issue, shapes_path.read_text(encoding="utf-8"))
    assert [f.line for f in findings] == sorted(f.line for f in findings)
    assert {f.code for f in findings} == {"count-mismatch", "empty-link", "no-summary"}


CLEAN_BODY = "## 论文\n\n- [a](https://a.example)\n摘要：x\n- [c](https://c.example)\n摘要：y\n"


def test_heading_date_that_differs_from_the_file_name_is_an_error() -> None:
    text = HEAD + CLEAN_BODY  # the heading says 2022-01-01
    revision = parse_issue(text, filename="2022-01-05.r3.md")
    assert (revision.date, revision.other_date) == ("2022-01-01", "2022-01-05")
    [finding] = lint_issue(revision, text)
    assert (finding.code, finding.severity, finding.line) == ("date-mismatch", "error", 1)
    assert "2022-01-01" in finding.message and "2022-01-05" in finding.message
    chosen = revision.with_date("2022-01-05")
    assert chosen is not None and chosen.date == "2022-01-05" and lint_issue(chosen, text) == []
    assert revision.with_date("2022-01-09") is None
    # A file name without a date, or with the same one, is no conflict.
    assert lint_issue(parse_issue(text, filename="draft.md"), text) == []
    assert lint_issue(parse_issue(text, filename="2022-01-01.md"), text) == []


def _sections_issue(count: int) -> str:
    """An issue of ``count`` unknown sections of one entry each (~60 bytes a section)."""
    parts = [HEAD]
    for n in range(count):
        parts.append(f"## 栏目{n}\n\n- [t{n} | s](https://e.example/{n})\n摘要：x\n\n")
    return "".join(parts)


def _lint_calls(text: str) -> int:
    """Function calls (Python and builtin) made by lint alone: a count, not a timing."""
    issue = parse_issue(text, filename="2022-01-01.md")
    profile = cProfile.Profile()
    profile.runcall(lint_issue, issue, text)
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined,no-any-return]


def test_lint_work_grows_linearly_with_the_issue() -> None:
    """Doubling the sections doubles lint's work; the heading lookup once made it 4x."""
    small, large = _lint_calls(_sections_issue(1000)), _lint_calls(_sections_issue(2000))
    assert large < 2.5 * small, (small, large)


def test_unknown_sections_are_found_at_their_heading_without_the_parse_lines() -> None:
    """An issue read back from the store has no section lines: one pass finds them."""
    text = (
        HEAD
        + "## 论文\n\n- [a](https://a.example)\n摘要：x\n\n## 🔥 杂谈 ##\n\n- [c](https://c.example)\n摘要：y\n"
    )
    parsed = parse_issue(text, filename="2022-01-01.md")
    assert [(f.code, f.line) for f in lint_issue(parsed, text)] == [("unknown-section", 10)]
    stored = dataclasses.replace(parsed, section_lines=())
    assert [(f.code, f.line) for f in lint_issue(stored, text)] == [("unknown-section", 10)]
