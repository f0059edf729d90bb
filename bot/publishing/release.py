"""Publishing an issue's text as the daemon does: lint, then the one pipeline.

Used for scheduled publishes (the text was linted when `bot publish --at`
scheduled it, and is linted again here because lint rules may have changed since)
and Telegram's /publish. Ingest and enqueue are :func:`bot.publishing.pipeline.publish_issue`'s
one transaction, the same as `bot publish`.

The outcome is a :class:`PublishSummary`, not a sentence: Telegram renders it in the
admin's language from the i18n catalogue, the scheduler logs it in English.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from bot.config import Settings
from bot.digest.lint import lint_issue
from bot.digest.parse import parse_issue
from bot.publishing.pipeline import publish_issue
from bot.store.database import Database


class PublishRefused(Exception):
    """The issue cannot be published (lint errors, no date...): one sentence."""


@dataclass(frozen=True, slots=True)
class PublishSummary:
    """What one publish did: the issue, whether it changed, what was queued."""

    date: str
    status: Literal["new", "updated", "unchanged"]
    entries: int
    added: int = 0
    changed: int = 0
    removed: int = 0
    messages: int = 0  # new messages queued
    edits: int = 0  # delivered messages queued for an edit
    chats: int = 0  # chats that get something
    deferred: int = 0  # of those, chats waiting for their delivery time

    @property
    def unchanged(self) -> bool:
        return self.status == "unchanged"

    def english(self) -> str:
        """One line for logs and the CLI."""
        if self.unchanged:
            return f"{self.date} unchanged, nothing sent"
        return (
            f"{self.date} {self.status}: {self.messages} new messages and"
            f" {self.edits} edits for {self.chats} chats ({self.deferred} waiting for"
            f" their delivery time)"
        )

    def __str__(self) -> str:
        return self.english()


async def publish_text(
    db: Database,
    file_name: str,
    text: str,
    force: bool,
    date: str | None = None,
    *,
    settings: Settings,
) -> PublishSummary:
    """Publish ``text`` (dated ``date`` when its heading and file name disagree);
    return what happened. Raises PublishRefused."""
    issue = parse_issue(text, filename=file_name)
    if date is not None:
        dated = issue.with_date(date)
        if dated is None:
            raise PublishRefused(f"{file_name} is not dated {date}; not published")
        issue = dated
    if issue.other_date is not None:
        raise PublishRefused(
            f"{file_name}: the heading says {issue.date} but the file name says"
            f" {issue.other_date}; not published (say which is meant: bot publish --date)"
        )
    errors = [f for f in lint_issue(issue, text) if f.severity == "error"]
    if errors and not force:
        first = errors[0]
        raise PublishRefused(
            f"{file_name} has {len(errors)} lint error(s), first at line {first.line}:"
            f" {first.message}; not published (schedule it with --force to override)"
        )
    published = await publish_issue(db, issue, text, settings)
    ingested, queued = published.ingested, published.queued
    summary = PublishSummary(
        date=ingested.date,
        status=ingested.status,
        entries=ingested.entries,
        added=len(ingested.added),
        changed=len(ingested.changed),
        removed=len(ingested.removed),
    )
    if queued is None:
        return summary
    return replace(
        summary,
        messages=queued.rows_added,
        edits=queued.edits,
        chats=queued.chats,
        deferred=queued.deferred,
    )
