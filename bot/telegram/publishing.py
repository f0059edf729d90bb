"""Publishing an uploaded issue from Telegram: lint, ingest, queue deliveries.

The same steps as `bot publish FILE`, for text that arrived as a document: the
sender of `bot run` then delivers the queued parts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import aiosqlite

from bot.config import Settings
from bot.delivery.enqueue import enqueue_issue
from bot.digest.lint import lint_issue
from bot.digest.parse import parse_issue
from bot.store.db import StoreError, transaction
from bot.store.issues import ingest_issue
from bot.telegram.texts import Lang, tr


class PublishRefused(Exception):
    """Why the issue was not published, in one sentence."""


@dataclass(frozen=True, slots=True)
class PublishOutcome:
    date: str
    status: str  # new | updated | unchanged
    entries: int
    chats: int

    def describe(self, lang: Lang) -> str:
        return tr(lang, f"published_{self.status}", entries=self.entries, chats=self.chats)


async def publish_text(
    db: aiosqlite.Connection, settings: Settings, file_name: str, text: str
) -> PublishOutcome:
    issue = parse_issue(text, filename=file_name)
    errors = [f for f in lint_issue(issue, text) if f.severity == "error"]
    if errors:
        raise PublishRefused(f"line {errors[0].line}: {errors[0].message}")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        async with transaction(db):
            result = await ingest_issue(db, issue, digest, text)
            chats = 0
            if result.status != "unchanged":
                queued = await enqueue_issue(
                    db, result.issue_id, issue, default_tz=settings.tz,
                    channel=settings.channel, revision_id=result.revision_id,
                )  # fmt: skip
                chats = queued.chats
    except StoreError as exc:
        raise PublishRefused(str(exc)) from None
    return PublishOutcome(result.date, result.status, result.entries, chats)
