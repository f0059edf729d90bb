"""Readers joining while a big delivery runs: every /start subscribes.

Before the one write path, the sender, the scheduler and the handlers wrote through
separate connections and locks, and 26 of 200 /start sent during a 10,000-chat
delivery failed with "database is locked". Here the handlers and a real sender share
the process's Database, as in `bot run`, on a smaller but concurrent load.
"""

from __future__ import annotations

import asyncio

import aiosqlite
import pytest

from bot.config import Settings
from bot.delivery.client import DigestClient, open_bot
from bot.delivery.ratelimit import Limits
from bot.delivery.sender import Sender, SenderOptions
from bot.publishing.pipeline import publish_issue
from bot.store.chats import get_chat, upsert_chat
from bot.store.db import transaction
from tests.support.store import make_entry, make_issue
from tests.support.telegram import BotHarness

SUBSCRIBERS = 800
JOINING = 100
FIRST_NEW = 500_000

pytestmark = pytest.mark.slow


async def test_every_start_subscribes_while_a_delivery_runs(
    telegram: BotHarness, db: aiosqlite.Connection, telegram_settings: Settings
) -> None:
    async with transaction(db):
        for chat_id in range(1, SUBSCRIBERS + 1):
            await upsert_chat(db, chat_id, "private", f"reader {chat_id}", "zh")
    await asyncio.gather(*(telegram.emulator.add_chat(c) for c in range(1, SUBSCRIBERS + 1)))
    entries = [make_entry(f"量化论文 {n}", url=f"https://example.org/{n}") for n in range(6)]
    issue = make_issue("2021-01-05", *entries)
    await publish_issue(telegram.database, issue, repr(issue), telegram_settings)

    limits = Limits(global_per_s=1000, chat_per_s=1000, group_per_min=10**6)
    client = DigestClient(open_bot(telegram.emulator.token, telegram.emulator.base_url))
    sender = Sender(telegram.database, client, "delivery", SenderOptions(limits=limits))
    sending = asyncio.create_task(sender.run(asyncio.Event(), until_idle=True))
    try:
        joining = range(FIRST_NEW, FIRST_NEW + JOINING)
        await asyncio.gather(*(telegram.private(c) for c in joining))
        updates = await asyncio.gather(
            *(telegram.emulator.send_update(c, text="/start") for c in joining)
        )
        assert sender.tally.sent < SUBSCRIBERS  # the delivery is still running
        await asyncio.gather(*(telegram.tracker.wait_for(u["update_id"], 60) for u in updates))
        tally = await asyncio.wait_for(sending, 120)
    finally:
        await client.close()

    for chat_id in joining:
        row = await get_chat(db, chat_id)
        assert row is not None and row.status == "active", chat_id
        assert any("欢迎" in m["plain"] for m in await telegram.messages(chat_id))
    assert tally.sent == SUBSCRIBERS  # and the delivery lost nothing meanwhile
