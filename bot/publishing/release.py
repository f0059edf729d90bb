"""Publishing an issue's text as the daemon does: lint, then the one pipeline.

Used for scheduled publishes (the text was linted when `bot publish --at`
scheduled it, and is linted again here because lint rules may have changed since)
and Telegram's /publish. Ingest and enqueue are :func:`bot.publishing.pipeline.publish_issue`'s
one transaction, the same as `bot publish`.
"""

from __future__ import annotations

from bot.config import Settings
from bot.digest.lint import lint_issue
from bot.digest.parse import parse_issue
from bot.publishing.pipeline import publish_issue
from bot.store.database import Database


class PublishRefused(Exception):
    """The issue cannot be published (lint errors, no date...): one sentence."""


async def publish_text(
    db: Database, file_name: str, text: str, force: bool, settings: Settings
) -> str:
    """Publish ``text``; return one line saying what happened. Raises PublishRefused."""
    issue = parse_issue(text, filename=file_name)
    errors = [f for f in lint_issue(issue, text) if f.severity == "error"]
    if errors and not force:
        first = errors[0]
        raise PublishRefused(
            f"{file_name} has {len(errors)} lint error(s), first at line {first.line}:"
            f" {first.message}; not published (schedule it with --force to override)"
        )
    published = await publish_issue(db, issue, text, settings)
    ingested, queued = published.ingested, published.queued
    if queued is None:
        return f"{ingested.date} unchanged, nothing to send"
    return (
        f"{ingested.date} {ingested.status}: {queued.rows_added} new messages and"
        f" {queued.edits} edits for {queued.chats} chats ({queued.deferred} waiting for"
        f" their delivery time)"
    )
