"""Lint findings about topics, for `bot lint` (bot.digest.lint sits below the catalogue)."""

from __future__ import annotations

from bot.digest.model import Finding, Issue
from bot.topics.match import tag_entry

NO_TOPIC = "no-topic"
_TITLE = 40


def topic_findings(issue: Issue) -> list[Finding]:
    """An info finding per entry that no catalogue topic covers: readers who follow
    topics will not get it (only readers without a filter, or with a matching word)."""
    findings = []
    for entry in issue.entries:
        if tag_entry(entry):
            continue
        title = " ".join(entry.title.split())
        if len(title) > _TITLE:
            title = title[: _TITLE - 1] + "…"
        findings.append(
            Finding(
                NO_TOPIC,
                "info",
                entry.line,
                f"no catalogue topic covers {title!r}: readers who follow topics will not"
                " get it (see `bot topics explain`)",
            )
        )
    return findings
