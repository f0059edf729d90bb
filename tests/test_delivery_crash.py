"""A sender killed with SIGKILL mid-run and restarted loses nothing and duplicates at
most what was in flight; two senders on one database never send the same row."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.delivery.ratelimit import Limits
from bot.digest.model import Issue
from bot.render.digest import render_digest
from bot.store.deliveries import stamp
from tests.support.delivery import DeliveryRig

SENDER = """
import asyncio, sys
from bot.delivery.client import DigestClient, open_bot
from bot.delivery.ratelimit import Limits
from bot.delivery.sender import Sender, SenderOptions
from bot.store.database import open_database

async def main(db, base, token, owner):
    limits = Limits(global_per_s=60, chat_per_s=100, group_per_min=10**6)
    client = DigestClient(open_bot(token, base))
    async with open_database(db) as database:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        options = SenderOptions(limits=limits, lease_s=2, batch_chats=20)
        sender = Sender(database, client, owner, options)
        tally = await sender.run(asyncio.Event(), until_idle=True)
    await client.close()
    print(tally.sent, flush=True)

asyncio.run(main(*sys.argv[1:]))
"""

READERS = 120
ROOT = str(Path(__file__).resolve().parent.parent)


async def _start(
    rig: DeliveryRig, db_path: Path, owner: str, script: str = SENDER
) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        str(db_path),
        rig.emulator.base_url,
        rig.emulator.token,
        owner,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 60)).strip() == b"ready"
    return proc


def _go(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdin is not None
    proc.stdin.write(b"go\n")


async def _until_sent(rig: DeliveryRig, count: int) -> None:
    """Poll the emulator (another process sends) until ``count`` messages arrived."""
    for _ in range(1200):
        if sum((await _sent_per_chat(rig)).values()) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the sender never reached {count} messages")


async def _sent_per_chat(rig: DeliveryRig) -> Counter[int]:
    return Counter(m["chat_id"] for m in await rig.emulator.messages())


@pytest.mark.slow
async def test_sigkill_mid_run_then_restart_loses_nothing(
    delivery: DeliveryRig, shapes_issue: Issue, db_path: Path
) -> None:
    await delivery.emulator.configure(latency_ms=40)
    chats = [await delivery.reader(3000 + n) for n in range(READERS)]
    await delivery.publish(shapes_issue)
    parts = len(render_digest(shapes_issue))

    proc = await _start(delivery, db_path, "doomed")
    _go(proc)
    await _until_sent(delivery, READERS // 4)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    async with delivery.conn.execute("SELECT count(*) FROM outbox WHERE status = 'sending'") as cur:
        row = await cur.fetchone()
    in_flight = int(row[0]) if row else 0
    before = await _sent_per_chat(delivery)
    assert 0 < sum(before.values()) < READERS * parts  # really killed mid-run

    # At once, as a restarted daemon would: the drain waits for the dead sender's leases to
    # expire (however long the kill and the checks above took) and sends what they held.
    await delivery.drain(Limits(global_per_s=1000, chat_per_s=1000, group_per_min=10**6))
    after = await _sent_per_chat(delivery)
    assert all(after[chat] >= parts for chat in chats)  # nothing lost
    duplicates = sum(after.values()) - READERS * parts
    assert duplicates <= in_flight
    assert {r[3] for r in await delivery.rows()} == {"sent"}


@pytest.mark.slow
async def test_drain_sends_what_a_killed_sender_still_held_once_its_lease_expires(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    chat = await delivery.reader(5000)
    await delivery.publish(shapes_issue)
    parts = len(render_digest(shapes_issue))
    # A sender leased the chat, started its first send, and was killed: its lease runs on.
    lease_end = time.time() + 1
    await delivery.conn.execute(
        "UPDATE outbox SET lease_owner = 'killed', lease_until = ?", (stamp(lease_end),)
    )
    await delivery.conn.execute(
        "UPDATE outbox SET status = 'sending' WHERE id = (SELECT min(id) FROM outbox)"
    )
    tally = await delivery.drain()
    assert time.time() > lease_end  # it waited for the lease rather than returning idle
    assert tally.sent == parts and len(await delivery.emulator.messages(chat)) == parts
    assert {r[3] for r in await delivery.rows()} == {"sent"}


async def test_drain_is_not_fooled_into_idle_by_a_busy_database(
    delivery: DeliveryRig, shapes_issue: Issue, db_path: Path
) -> None:
    from bot.delivery.client import DigestClient, open_bot
    from bot.delivery.sender import Sender, SenderOptions
    from bot.store.database import open_database

    chat = await delivery.reader(5100)
    await delivery.publish(shapes_issue)
    parts = len(render_digest(shapes_issue))
    client = DigestClient(open_bot(delivery.emulator.token, delivery.emulator.base_url))
    async with open_database(db_path, busy_timeout_ms=20) as database:
        # Another process (a big publish) holds the write lock when the drain starts.
        await delivery.conn.execute("BEGIN IMMEDIATE")
        options = SenderOptions(
            limits=Limits(global_per_s=1000, chat_per_s=1000, group_per_min=10**6), idle_poll_s=0.2
        )
        draining = asyncio.create_task(
            Sender(database, client, "drain", options).run(asyncio.Event(), until_idle=True)
        )
        try:
            await asyncio.sleep(0.5)
            assert not draining.done()  # a claim refused as busy is not "nothing to send"
        finally:
            await delivery.conn.execute("COMMIT")
        tally = await asyncio.wait_for(draining, 30)
    await client.close()
    assert tally.sent == parts and len(await delivery.emulator.messages(chat)) == parts


@pytest.mark.slow
async def test_two_senders_share_the_work_without_sending_a_row_twice(
    delivery: DeliveryRig, shapes_issue: Issue, db_path: Path
) -> None:
    await delivery.emulator.configure(latency_ms=10)
    chats = [await delivery.reader(4000 + n) for n in range(READERS)]
    await delivery.publish(shapes_issue)
    parts = len(render_digest(shapes_issue))
    first, second = await asyncio.gather(
        _start(delivery, db_path, "one"), _start(delivery, db_path, "two")
    )
    _go(first)
    _go(second)
    outputs = await asyncio.wait_for(asyncio.gather(first.communicate(), second.communicate()), 60)
    assert (first.returncode, second.returncode) == (0, 0), outputs
    shares = [int(out.split()[-1]) for out, _ in outputs]
    assert all(share > 0 for share in shares)  # both really sent
    assert sum(shares) == READERS * parts
    sent = await _sent_per_chat(delivery)
    assert all(sent[chat] == parts for chat in chats)
    assert sum(sent.values()) == READERS * parts


DEFAULT_SENDER = SENDER.replace(", lease_s=2, batch_chats=20", "")


@pytest.mark.slow
async def test_after_a_sigkill_the_killed_senders_chats_resume_within_seconds(
    delivery: DeliveryRig, shapes_issue: Issue, db_path: Path
) -> None:
    """With the default options: a dead sender's leases stall its chats for a few
    seconds (the lease), not half a minute."""
    import bot.delivery.sender  # noqa: F401  (aiogram's import is not part of the delay)

    await delivery.emulator.configure(latency_ms=40)
    for n in range(READERS):
        await delivery.reader(6000 + n)
    await delivery.publish(shapes_issue)
    proc = await _start(delivery, db_path, "doomed", DEFAULT_SENDER)
    _go(proc)
    await _until_sent(delivery, READERS // 4)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    killed_at = time.monotonic()
    async with delivery.conn.execute(
        "SELECT DISTINCT chat_id FROM outbox WHERE lease_owner = 'doomed'"
        " AND status IN ('pending', 'sending')"
    ) as cur:
        stalled = {int(r[0]) for r in await cur.fetchall()}
    assert stalled  # the killed sender held chats with work left
    before = await _sent_per_chat(delivery)

    draining = asyncio.create_task(delivery.drain())
    try:
        for _ in range(400):  # 20 s: the old 30 s lease fails here
            after = await _sent_per_chat(delivery)
            if any(after[chat] > before[chat] for chat in stalled):
                break
            await asyncio.sleep(0.05)
        resumed_after = time.monotonic() - killed_at
    finally:
        await draining
    print(f"a killed sender's chats resumed {resumed_after:.1f} s after SIGKILL")
    assert resumed_after < 8.0  # the 5 s lease, its 1 s stamps, a 1 s poll
