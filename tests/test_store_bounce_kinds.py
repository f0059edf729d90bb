"""Migration 0020 (bounce_events may record unsubscribe requests by mail): a database
written before it keeps every bounce event, with its id, and then records an
``unsubscribe`` with effect ``unsubscribed``."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from bot.store.bounces import BounceReport, recent_bounces, record_bounce
from bot.store.db import open_db
from bot.store.migrations import STEPS, migrate
from bot.store.subscribers import get_subscriber

BEFORE = [name for name, _ in STEPS].index("0020_bounce_events_unsubscribe")


async def test_upgrade_keeps_bounce_events_and_accepts_unsubscribes(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await migrate(conn, upto=BEFORE)
        await conn.execute(
            "INSERT INTO email_subscribers (id, address, status, source, created_at, updated_at)"
            " VALUES (5, 'ann@example.org', 'confirmed', 'admin', '2026', '2026'),"
            " (6, 'bob@example.org', 'bounced', 'admin', '2026', '2026')"
        )
        await conn.execute(
            "INSERT INTO bounce_events (id, subscriber_id, kind, status, effect, report_key,"
            " source, received_at) VALUES (41, 6, 'hard', '5.1.1', 'suppressed', 'k', 'smtp',"
            " '2026-12-01T00:00:00Z')"
        )
    async with open_db(db_path) as conn:
        (kept,) = await recent_bounces(conn)
        assert (kept.id, kept.address, kept.kind, kept.effect) == (
            41, "bob@example.org", "hard", "suppressed",
        )  # fmt: skip
        report = BounceReport("unsubscribe", 5, "5:unsubscribe:<r@client>")
        await conn.execute("BEGIN IMMEDIATE")
        done = await record_bounce(conn, report, via="imap")
        await conn.execute("COMMIT")
        assert done.effect == "unsubscribed"
        ann = await get_subscriber(conn, 5)
        assert ann is not None and (ann.status, ann.reason) == (
            "unsubscribed", "unsubscribed by mail",
        )  # fmt: skip
        assert [e.kind for e in await recent_bounces(conn)] == ["unsubscribe", "hard"]
