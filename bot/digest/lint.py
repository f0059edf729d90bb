"""Lint one parsed issue: the mistakes a maintainer wants caught before release.

Errors: template placeholders left in (``<标题>``, ``TODO``, ``2020-05-xx``), no
entries, a heading date that differs from the date in the file name, a link with a
refused scheme (``javascript:``, ``data:``…). Warnings: the 导读's promised count
differs from the linked entries found, empty or missing links, the same URL twice, an
unknown section heading, raw HTML in an entry. Info: an entry without summary. Parse
warnings come first.
"""

from __future__ import annotations

import re

from bot.digest.model import Finding, Issue
from bot.digest.sections import KNOWN_SECTIONS, clean_heading, is_known_section

_PLACEHOLDERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"<\s*(?:[^<>\s\x00-\x7f][^<>]{0,19}|title|url|link|source|summary|todo|date)\s*>",
            re.I,
        ),
        "template marker {0!r} left in",
    ),
    (re.compile(r"(?<![A-Za-z])(?:TODO|TBD|FIXME)(?![A-Za-z])"), "{0!r} left in"),
    (
        re.compile(
            r"(?<![0-9A-Za-z])(?:\d{4}|[xX]{4})-(?:\d{1,2}|[xX]{2})-[xX]{1,2}(?![0-9A-Za-z])"
            r"|(?<![0-9A-Za-z])\d{4}-[xX]{2}(?![0-9A-Za-z])"
        ),
        "unfinished date {0!r}",
    ),
)
DATE_MISMATCH = "date-mismatch"
_PROMISE = re.compile(r"本次(?:内容|共|简报)?\s*(?:共|有)?\s*(\d{1,3})\s*条")
_MAX_LINE = 2000


def _placeholders(text: str) -> list[Finding]:
    findings: list[Finding] = []
    in_fence = False
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.lstrip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        line = raw[:_MAX_LINE]
        for pattern, message in _PLACEHOLDERS:
            match = pattern.search(line)
            if match:
                findings.append(
                    Finding("placeholder", "error", number, message.format(match.group(0)))
                )
    return findings


def _intro_line(text: str) -> int:
    for number, raw in enumerate(text.splitlines(), start=1):
        if "导读" in raw:
            return number
    return 1


def date_mismatch(issue: Issue) -> Finding:
    """The error for an issue whose heading and file name name different dates."""
    return Finding(
        DATE_MISMATCH,
        "error",
        issue.heading_line,
        f"the heading says {issue.date} but the file name says {issue.other_date}:"
        " fix one, or say which is meant (bot publish --date)",
    )


def lint_issue(issue: Issue, text: str) -> list[Finding]:
    """All findings for one issue, in line order (parse warnings included)."""
    findings = list(issue.warnings)
    findings.extend(_placeholders(text))
    if issue.other_date is not None:
        findings.append(date_mismatch(issue))
    linked = [entry for entry in issue.entries if entry.url]
    total = len(issue.entries)
    if not issue.entries:
        findings.append(Finding("no-entries", "error", 1, "no entries found in any section"))
    promise = _PROMISE.search(issue.intro)
    if promise and issue.entries and int(promise.group(1)) not in (len(linked), total):
        found = f"{len(linked)} linked entries"
        if total != len(linked):
            found += f" ({total} with unlinked ones)"
        findings.append(
            Finding(
                "count-mismatch",
                "warning",
                _intro_line(text),
                f"导读 promises {promise.group(1)} entries but {found} were found",
            )
        )
    seen: dict[str, int] = {}
    for entry in issue.entries:
        label = entry.title[:60] or "(untitled)"
        if entry.url is None:
            findings.append(
                Finding(
                    "empty-link",
                    "warning",
                    entry.line,
                    f"entry {label!r} has an empty or missing link",
                )
            )
        elif entry.url in seen:
            findings.append(
                Finding(
                    "duplicate-url",
                    "warning",
                    entry.line,
                    f"entry {label!r} repeats the link of line {seen[entry.url]}",
                )
            )
        else:
            seen[entry.url] = entry.line
        if not entry.summary.strip():
            findings.append(
                Finding("no-summary", "info", entry.line, f"entry {label!r} has no summary")
            )
    findings.extend(
        Finding(
            "raw-html",
            "warning",
            line,
            f"raw HTML {raw[:40]!r} in an entry: known tags are dropped and other text "
            "is shown as written; use Markdown or remove it",
        )
        for line, raw in issue.entry_html
        if not _PLACEHOLDERS[0][0].fullmatch(raw)  # "<title>": already a placeholder error
    )
    findings.extend(
        Finding(
            "refused-link",
            "error",
            line,
            f"link {href[:40]!r} has a scheme that is never sent; use an http(s) link",
        )
        for line, href in issue.refused_links
    )
    findings.extend(_unknown_sections(issue, text))
    findings.sort(key=lambda f: f.line)
    return findings


def _heading_lines(text: str) -> dict[str, int]:
    """First line of each cleaned ATX heading, in one pass over the text."""
    first: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.lstrip()
        if stripped.startswith("#"):
            first.setdefault(clean_heading(stripped.lstrip("#").rstrip("# ")), number)
    return first


def _unknown_sections(issue: Issue, text: str) -> list[Finding]:
    """One warning per unknown section, at its heading: linear in the text and sections.

    A parsed issue knows each section's line; otherwise (an issue read back from the
    store) one pass over the text maps cleaned headings to their first line.
    """
    if len(issue.section_lines) == len(issue.sections):
        lines = dict(zip(issue.sections, issue.section_lines, strict=True))
    else:
        lines = _heading_lines(text)
    expected = "、".join(KNOWN_SECTIONS)
    return [
        Finding(
            "unknown-section",
            "warning",
            lines.get(name) or 1,
            f"unknown section {name!r} (expected one of {expected})",
        )
        for name in issue.sections
        if not is_known_section(name)
    ]
