"""Delivery fixtures: readers in both the store and the emulator, publish, and drain.

``delivery``: a :class:`DeliveryRig` over the ``db`` and ``emulator`` fixtures.
``rig.reader(...)`` creates a chat the bot knows (store) and Telegram knows
(emulator); ``rig.publish(issue)`` ingests and enqueues like `bot publish`;
``rig.drain()`` runs a real sender over HTTP until nothing due is left.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite
import pytest

from bot.digest.model import Issue
from bot.store.chats import ChatType, update_settings, upsert_chat
from bot.store.database import open_database
from bot.store.db import transaction
from bot.store.issues import ingest_issue
from bot.store.topics import add_topics

if TYPE_CHECKING:
    from bot.delivery.enqueue import EnqueueResult
    from bot.delivery.ratelimit import Limits
    from bot.delivery.sender import Tally
    from tests.support.emulator import EmulatorClient


@dataclass
class DeliveryRig:
    conn: aiosqlite.Connection
    path: Path
    emulator: EmulatorClient
    channel: str | None = None

    async def reader(
        self,
        chat_id: int,
        type_: ChatType = "private",
        topics: Sequence[str] = (),
        *,
        language: str = "zh",
        **settings: Any,
    ) -> int:
        await self.emulator.add_chat(chat_id, type_, title=f"chat {chat_id}")
        async with transaction(self.conn):
            await upsert_chat(self.conn, chat_id, type_, f"chat {chat_id}", language)  # type: ignore[arg-type]
            if topics:
                await add_topics(self.conn, chat_id, topics)
            if settings:
                await update_settings(self.conn, chat_id, **settings)
        return chat_id

    async def publish(self, issue: Issue, source: str | None = None) -> EnqueueResult:
        from bot.delivery.enqueue import enqueue_issue

        text = source if source is not None else repr(issue)
        digest = hashlib.sha256(text.encode()).hexdigest()
        async with transaction(self.conn):
            ingested = await ingest_issue(self.conn, issue, digest, text)
            return await enqueue_issue(
                self.conn,
                ingested.issue_id,
                issue,
                default_tz="Asia/Shanghai",
                channel=self.channel,
                revision_id=ingested.revision_id,
            )

    async def drain(
        self, limits: Limits | None = None, *, request_timeout: float = 20.0, **options: Any
    ) -> Tally:
        """Send everything due with a real sender (aiogram over HTTP), then return."""
        from bot.delivery.client import DigestClient, open_bot
        from bot.delivery.ratelimit import Limits
        from bot.delivery.sender import Sender, SenderOptions

        limits = limits or Limits(global_per_s=1000, chat_per_s=1000, group_per_min=10**6)
        client = DigestClient(
            open_bot(self.emulator.token, self.emulator.base_url, timeout=request_timeout),
            paid_broadcast=limits.paid_broadcast,
        )
        try:
            async with open_database(self.path) as db:
                sender = Sender(db, client, "test-sender", SenderOptions(limits=limits, **options))
                return await asyncio.wait_for(sender.run(asyncio.Event(), until_idle=True), 60)
        finally:
            await client.close()

    async def rows(self, chat_id: int | None = None) -> list[tuple[Any, ...]]:
        """(chat_id, issue_id, part_no, status, message_id, last_error) per outbox row."""
        sql = "SELECT chat_id, issue_id, part_no, status, message_id, last_error FROM outbox"
        params: tuple[int, ...] = ()
        if chat_id is not None:
            sql += " WHERE chat_id = ?"
            params = (chat_id,)
        async with self.conn.execute(sql + " ORDER BY chat_id, issue_id, part_no", params) as cur:
            return [tuple(r) for r in await cur.fetchall()]


@pytest.fixture
async def delivery(
    db: aiosqlite.Connection, db_path: Path, emulator: EmulatorClient
) -> AsyncIterator[DeliveryRig]:
    yield DeliveryRig(db, db_path, emulator)


async def run_bot(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run the real `bot` CLI in a subprocess (the emulator keeps serving meanwhile):
    its exit status, stdout and stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**os.environ, **env, "COLUMNS": "200"},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
