"""The two shapes of `bot parse` output: the JSON contract and a readable outline."""

from __future__ import annotations

from typing import Any

from bot.digest.model import Entry, Finding, Issue


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity,
        "line": finding.line,
        "message": finding.message,
    }


def entry_dict(entry: Entry) -> dict[str, Any]:
    return {
        "section": entry.section,
        "title": entry.title,
        "source": entry.source,
        "url": entry.url,
        "links": [{"text": link.text, "url": link.url} for link in entry.links],
        "tag": entry.tag,
        "summary": entry.summary,
    }


def issue_document(file: str, issue: Issue) -> dict[str, Any]:
    """The JSON contract of `bot parse` for one file (other tools rely on it)."""
    return {
        "file": file,
        "issue": {
            "date": issue.date,
            "title": issue.title,
            "intro": issue.intro,
            "warmups": list(issue.warmups),
        },
        "entries": [entry_dict(entry) for entry in issue.entries],
        "warnings": [finding_dict(finding) for finding in issue.warnings],
    }


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def outline(file: str, issue: Issue) -> str:
    """A readable outline: heading, intro, warm-ups, then entries by section."""
    out = [f"{file}: {issue.date or '(no date)'} {issue.title}".rstrip()]
    if issue.intro:
        out.append(f"  导读: {_short(issue.intro, 100)}")
    if issue.warmups:
        out.append(f"  热身小新闻 ({len(issue.warmups)}):")
        out.extend(f"    - {_short(line, 96)}" for line in issue.warmups)
    section = None
    for entry in issue.entries:
        if entry.section != section:
            section = entry.section
            count = sum(1 for e in issue.entries if e.section == section)
            out.append(f"  ## {section} ({count})")
        tag = f"[{entry.tag}] " if entry.tag else ""
        source = f" | {entry.source}" if entry.source else ""
        out.append(f"    {entry.position:>2}. {tag}{entry.title}{source}  (line {entry.line})")
        out.append(f"        {entry.url or '(no link)'}")
        for link in entry.links:
            out.append(f"        + {link.text}: {link.url}")
        if entry.summary:
            out.append(f"        {_short(entry.summary, 96)}")
    for finding in issue.warnings:
        out.append(f"  {finding.severity} {finding.code} (line {finding.line}): {finding.message}")
    out.append(f"  {len(issue.entries)} entries in {len(issue.sections)} sections")
    return "\n".join(out)
