"""Publishing a scheduled issue from inside the daemon: lint, ingest, enqueue — one transaction.

The text was read (and linted) when `bot publish --at` scheduled it; it is linted again
here because lint rules may have changed since. Ingest is idempotent (an identical
file is "unchanged" and enqueues nothing), so a publish re-run after a crash between
its commit and the scheduled row's ``done`` sends nothing twice.
"""

from __future__ import annotations

import aiosqlite

from bot.commands.db import file_hash  # the same identity `bot publish` gives a file
from bot.config import Settings
from bot.delivery.enqueue import enqueue_issue
from bot.digest.lint import lint_issue
from bot.digest.parse import parse_issue
from bot.run.jobs import PublishRefused
from bot.store.db import transaction
from bot.store.issues import ingest_issue


async def publish_text(
    conn: aiosqlite.Connection, file_name: str, text: str, force: bool, settings: Settings
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
    async with transaction(conn):
        ingested = await ingest_issue(conn, issue, file_hash(text), text)
        if ingested.status == "unchanged":
            return f"{ingested.date} unchanged, nothing to send"
        queued = await enqueue_issue(
            conn, ingested.issue_id, issue, default_tz=settings.tz, channel=settings.channel,
            revision_id=ingested.revision_id,
        )
    return (
        f"{ingested.date} {ingested.status}: {queued.rows_added} new messages and"
        f" {queued.edits} edits for {queued.chats} chats ({queued.deferred} waiting for"
        f" their delivery time)"
    )
