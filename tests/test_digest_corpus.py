"""The parser against every real issue and revision (skipped when the corpus is absent).

An independent, line-based reading of each file says what must be found: every
top-level bullet with an http(s) link under a ``##`` section is an entry with that
section, url, title and summary; nothing after ``往期回顾`` or a rule is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.digest.model import Issue
from bot.digest.parse import parse_issue

_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\((https?://[^)\s]*)\)")
_BULLET = re.compile(r"^[-*+] ")
_RULE = re.compile(r"^ {0,3}(?:-{3,}|\*{3,}|_{3,})\s*$")
_SUMMARY = re.compile(r"^\s*摘要\s*[：:]\s*")


@dataclass
class Expected:
    line: int
    section: str
    url: str
    title: str
    summary: str | None


def _plain(text: str) -> str:
    """Compare text without whitespace, Markdown emphasis, list markers or escapes."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s*(?:\d+\.|[-*+•])\s", "", text, flags=re.M)
    text = re.sub(r"\\(?=[^\w\s])", "", text)
    return re.sub(r"[\s*`_•]", "", text)


def _title(link_text: str) -> str:
    parts = re.split(r"\s+\|\s*|\s*\|\s+", link_text.strip())
    title = " | ".join(parts[:-1]) if len(parts) > 1 else link_text
    return re.sub(r"\*\*|`", "", title).strip()


def _read(path: Path) -> tuple[list[Expected], set[int]]:
    """Linked top-level bullets per section, and the line numbers of footers."""
    lines = path.read_text(encoding="utf-8").split("\n")
    expected: list[Expected] = []
    footer_lines: set[int] = set()
    section: str | None = None
    footer = False
    for number, line in enumerate(lines, start=1):
        if line.startswith("## "):
            name = line[3:].strip()
            footer = "往期回顾" in name
            section = None if footer else name
        elif _RULE.match(line) and section is not None and number > 5:
            footer = True
        if footer:
            footer_lines.add(number)
            continue
        if section is None or not _BULLET.match(line):
            continue
        match = _LINK.search(line)
        if match is None:
            continue
        summary = _summary(lines, number)
        expected.append(Expected(number, section, match.group(2), _title(match.group(1)), summary))
    return expected, footer_lines


def _summary(lines: list[str], number: int) -> str | None:
    body: list[str] = []
    for line in lines[number:]:
        if _BULLET.match(line) or line.startswith("#") or _RULE.match(line):
            break
        if not line.startswith("> 注"):
            body.append(line)
    start = next((i for i, line in enumerate(body) if _SUMMARY.match(line)), None)
    if start is None:
        return None
    return "\n".join([_SUMMARY.sub("", body[start], count=1), *body[start + 1 :]])


def _mismatches(path: Path, issue: Issue) -> list[str]:
    expected, footer_lines = _read(path)
    by_line = {entry.line: entry for entry in issue.entries}
    problems = []
    for want in expected:
        got = by_line.get(want.line)
        if got is None:
            problems.append(f"line {want.line}: no entry for {want.title!r}")
            continue
        if (got.section, got.url, got.title) != (want.section, want.url, want.title):
            problems.append(
                f"line {want.line}: {(got.section, got.url, got.title)} "
                f"!= {(want.section, want.url, want.title)}"
            )
        if want.summary is not None and _plain(got.summary) != _plain(want.summary):
            problems.append(f"line {want.line}: summary {got.summary[:40]!r}…")
    for entry in issue.entries:
        if entry.line in footer_lines:
            problems.append(f"line {entry.line}: footer line {entry.title!r} became an entry")
    return problems


def test_every_linked_bullet_of_every_issue(corpus_issues: list[Path]) -> None:
    assert len(corpus_issues) == 30
    for path in corpus_issues:
        issue = parse_issue(path.read_text(encoding="utf-8"), filename=path.name)
        assert _mismatches(path, issue) == [], path.name
        assert issue.date == path.stem


def test_every_linked_bullet_of_every_revision(corpus_revisions: list[Path]) -> None:
    assert len(corpus_revisions) == 26
    for path in corpus_revisions:
        issue = parse_issue(path.read_text(encoding="utf-8"), filename=path.name)
        assert _mismatches(path, issue) == [], path.name


def test_footer_lines_never_become_entries(corpus_issues: list[Path]) -> None:
    footer_words = re.compile(r"wechat|editor|project|往期|^\d{4}-\d{2}-\d{2}$", re.I)
    for path in corpus_issues:
        issue = parse_issue(path.read_text(encoding="utf-8"), filename=path.name)
        for entry in issue.entries:
            assert not footer_words.search(entry.title), (path.name, entry.title)
            assert "embedded-ai-report" not in (entry.url or ""), (path.name, entry.url)


def test_known_shapes_of_the_corpus(corpus_issues: list[Path]) -> None:
    issues = {
        p.stem: parse_issue(p.read_text(encoding="utf-8"), filename=p.name) for p in corpus_issues
    }
    tagged = issues["2019-03-31"].entries[4]
    assert (tagged.tag, tagged.url) == ("1812.00332", "https://arxiv.org/pdf/1812.00332.pdf")
    assert [link.text for link in tagged.links] == ["报道原文", "新智元解读"]
    assert "应用" in issues["2019-12-17"].sections
    unlinked = issues["2020-01-27"].entries[0]
    assert (unlinked.url, unlinked.source) == (None, "IT之家")
    assert unlinked.summary.startswith("1月17日")
    nested = issues["2020-01-27"].entries[1].summary.splitlines()
    assert nested[1].startswith("- 骁龙720G")
    warmups = issues["2021-01-05"].warmups
    assert "华为：2021 年将有超过 1 亿台设备成为华为鸿蒙新入口；" in warmups  # line missing "- "
    assert issues["2022-02-23"].title.startswith("TFLite主管离职/BiBERT")


def test_revision_15_is_the_seed(corpus_revisions: list[Path], seed_path: Path) -> None:
    revision = corpus_revisions[14]
    assert revision.read_bytes() == seed_path.read_bytes()
    issue = parse_issue(seed_path.read_text(encoding="utf-8"), filename=seed_path.name)
    assert len([e for e in issue.entries if e.url]) == 17


def test_keys_let_revisions_be_diffed(corpus_revisions: list[Path]) -> None:
    final = parse_issue(corpus_revisions[-1].read_text(encoding="utf-8"))
    before = parse_issue(corpus_revisions[-2].read_text(encoding="utf-8"))
    keys = [e.key for e in final.entries]
    assert len(set(keys)) == len(keys)
    assert len(set(keys) & {e.key for e in before.entries}) >= len(keys) - 3
