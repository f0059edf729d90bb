"""Publishing an issue: ingest it and queue its delivery in one transaction.

The one pipeline behind `bot publish`, the daemon's scheduled publishes and
Telegram's /publish. Lint stays with the callers: each reports findings its own way.
Ingest is idempotent (an identical file is "unchanged" and queues nothing), so a
publish re-run after a crash sends nothing twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiosqlite

from bot.delivery.email_enqueue import enqueue_mail_issue
from bot.delivery.enqueue import EnqueueResult, enqueue_issue
from bot.digest.model import Entry, Issue
from bot.store.database import Database
from bot.store.entry_topics import issue_tags
from bot.store.issues import IngestResult, file_hash, get_issue, ingest_issue
from bot.store.topics import active_chats_with_topics
from bot.topics.filter import entry_matches

if TYPE_CHECKING:
    from bot.config import Settings


@dataclass(frozen=True, slots=True)
class Published:
    ingested: IngestResult
    to_send: tuple[Entry, ...]  # the new or changed entries
    chats: int  # active chats
    chats_served: int  # of those, the chats whose topics want any entry of to_send
    queued: EnqueueResult | None  # None when the file was unchanged
    mails: int = 0  # e-mail rows added (one per confirmed subscriber it concerns, once)


class _RolledBack(Exception):
    def __init__(self, published: Published) -> None:
        self.published = published


async def publish_issue(
    db: Database,
    issue: Issue,
    text: str,
    settings: Settings,
    *,
    dry_run: bool = False,
) -> Published:
    """Ingest ``issue`` (parsed from ``text``) and enqueue its delivery, atomically.

    With ``dry_run`` everything is computed and then rolled back. Raises StoreError
    (nothing written) when the issue cannot be stored.
    """

    async def publish(conn: aiosqlite.Connection) -> Published:
        ingested = await ingest_issue(conn, issue, file_hash(text), text)
        to_send, chats, served = await _deliverable(conn, ingested)
        queued = None
        mails = 0
        if ingested.status != "unchanged":
            queued = await enqueue_issue(
                conn,
                ingested.issue_id,
                issue,
                default_tz=settings.tz,
                channel=settings.channel,
                revision_id=ingested.revision_id,
            )
            mails = await enqueue_mail_issue(
                conn,
                ingested.issue_id,
                issue,
                default_tz=settings.tz,
                revision_id=ingested.revision_id,
                first=ingested.status == "new",
            )
        published = Published(ingested, to_send, chats, served, queued, mails)
        if dry_run:
            raise _RolledBack(published)
        return published

    try:
        return await db.write(publish)
    except _RolledBack as rolled_back:
        return rolled_back.published


async def _deliverable(
    conn: aiosqlite.Connection, ingested: IngestResult
) -> tuple[tuple[Entry, ...], int, int]:
    """The new or changed entries, the active chats, and how many of them want any entry.

    Chats with the same topics decide alike, so each distinct topic set is matched once.
    """
    stored = await get_issue(conn, ingested.date)
    assert stored is not None
    wanted = set(stored.keys) if ingested.status == "new" else {*ingested.added, *ingested.changed}
    entries = tuple(
        e for k, e in zip(stored.keys, stored.issue.entries, strict=True) if k in wanted
    )
    chats = await active_chats_with_topics(conn)
    topic_sets = Counter(
        (tuple(t.term for t in topics if not t.exclude), tuple(t.term for t in topics if t.exclude))
        for _, topics in chats
    )
    tags = await issue_tags(conn, stored.id)
    served = sum(
        count
        for (include, exclude), count in topic_sets.items()
        if any(entry_matches(e, include, exclude, tags.get(e.key, frozenset())) for e in entries)
    )
    return entries, len(chats), served
