"""Migration 0017: the outbox rebuilt for e-mail keeps every Telegram row and index, and
its constraints hold: an e-mail row names a subscriber (never a chat), one per issue."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.store.db import open_db
from bot.store.migrations import STEPS, migrate

INDEXES = {
    "outbox_due",
    "outbox_by_chat",
    "outbox_one_row_per_part",
    "outbox_leased",
    "outbox_by_unpublished",
    "outbox_one_mail_per_subscriber",
    "outbox_email_due",
}


async def test_the_email_outbox_keeps_telegram_rows_and_refuses_bad_email_rows(
    db_path: Path,
) -> None:
    before = [name for name, _ in STEPS].index("0017_email_outbox")
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await migrate(conn, upto=before)
        await conn.execute(
            "INSERT INTO issues (id, date, title, file_hash, published_at, updated_at)"
            " VALUES (1, '2026-12-01', 't', 'h', 'n', 'n')"
        )
        await conn.execute(
            "INSERT INTO chats (id, type, created_at, updated_at) VALUES (5, 'private', 'n', 'n')"
        )
        await conn.execute(
            "INSERT INTO outbox (issue_id, chat_id, part_no, text, status, message_id,"
            " created_at, sent_at, resent) VALUES (1, 5, 0, 'html', 'sent', 42, 'c', 's', 1)"
        )
        await conn.execute(
            "INSERT INTO email_subscribers (id, address, source, created_at, updated_at)"
            " VALUES (9, 'ann@example.org', 'admin', 'n', 'n')"
        )
    async with open_db(db_path) as conn:
        async with conn.execute(
            "SELECT issue_id, chat_id, text, status, message_id, sent_at, resent, channel,"
            " subscriber_id FROM outbox"
        ) as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [
                (1, 5, "html", "sent", 42, "s", 1, "telegram", None)
            ]
        async with conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'"
        ) as cur:
            assert {str(r[0]) for r in await cur.fetchall()} >= INDEXES
        mail = (
            "INSERT INTO outbox (channel, issue_id, subscriber_id, chat_id, part_no, text,"
            " created_at) VALUES ('email', 1, ?, ?, ?, '', 'n')"
        )
        await conn.execute(mail, (9, None, 0))
        for bad in ((9, None, 0), (9, 5, 0), (None, None, 0), (9, None, 1)):
            with pytest.raises(sqlite3.IntegrityError):
                await conn.execute(mail, bad)
        with pytest.raises(sqlite3.IntegrityError):  # a Telegram row needs its chat
            await conn.execute(
                "INSERT INTO outbox (issue_id, part_no, text, created_at) VALUES (1, 1, '', 'n')"
            )
