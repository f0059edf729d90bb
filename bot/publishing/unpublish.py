"""Withdrawing a published issue: the one path behind `bot unpublish DATE`.

One transaction: the issue leaves the archive, each message that reached a chat gets
an outbox row to delete it (or, past Telegram's 48 h, to edit it to the withdrawn note
in the chat's language), the issue's pending schedules are cancelled (they would
publish it again), and the withdrawal is recorded. The sender does the deleting.
"""

from __future__ import annotations

import time

import aiosqlite

from bot.i18n import LANGS, t
from bot.store.database import Database
from bot.store.scheduled import cancel_scheduled, pending_for_issue
from bot.store.unpublish import Unpublished, unpublish_issue


def withdrawn_notes() -> dict[str, str]:
    """The note a withdrawn message is edited to, per chat language."""
    return {lang: str(t("delivery.withdrawn_note", lang)) for lang in LANGS}


async def unpublish(db: Database, date: str, *, by: str | None) -> tuple[Unpublished, list[int]]:
    """Withdraw the issue of ``date``; return the record and the cancelled schedules.
    Raises StoreError (nothing changed) when there is no such issue or a send is in
    flight."""
    notes = withdrawn_notes()

    async def withdraw(conn: aiosqlite.Connection) -> tuple[Unpublished, list[int]]:
        done = await unpublish_issue(conn, date, now=time.time(), notes=notes, by=by)
        cancelled = []
        for row in await pending_for_issue(conn, date):
            if await cancel_scheduled(conn, row.id, f"the issue {date} was unpublished"):
                cancelled.append(row.id)
        return done, cancelled

    return await db.write(withdraw)
