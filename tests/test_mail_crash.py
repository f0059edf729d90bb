"""An e-mail sender killed with SIGKILL mid-send and restarted loses no mail and
duplicates at most the rows it had in flight (a subprocess sends to a real SMTP server
on 127.0.0.1; the test kills it once a quarter of the mails arrived)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.delivery.email_sender import EmailOptions
from tests.support.smtp_outbox import SECRET, MailRig
from tests.support.store import make_entry, make_issue

SENDER = """
import asyncio, sys
from pydantic import SecretStr
from bot.config import Settings
from bot.delivery.email_sender import EmailOptions, EmailSender
from bot.mail.mailer import Mailer
from bot.store.database import open_database

async def main(db, url, secret):
    settings = Settings(smtp_url=SecretStr(url), secret_key=SecretStr(secret),
                        public_url="https://digest.example.org", mail_rate=40, _env_file=None)
    mailer = Mailer.from_settings(settings, pool_size=4)
    async with open_database(db) as database:
        print("ready", flush=True)
        sender = EmailSender(database, mailer, EmailOptions(lease_s=30), owner="doomed")
        await sender.run(asyncio.Event())

asyncio.run(main(*sys.argv[1:]))
"""
READERS = 120
ROOT = str(Path(__file__).resolve().parent.parent)


@pytest.mark.slow
async def test_sigkill_mid_send_then_restart_loses_no_mail(
    mail_rig: MailRig, db_path: Path
) -> None:
    addresses = [f"r{n}@example.org" for n in range(READERS)]
    for address in addresses:
        await mail_rig.subscriber(address)
    issue = make_issue("2026-12-02", make_entry("ncnn 推理", url="https://example.org/a"))
    assert (await mail_rig.publish(issue)).mails == READERS
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SENDER,
        str(db_path),
        mail_rig.sink.url(),
        SECRET,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 60)).strip() == b"ready"
    received = mail_rig.sink.handler.received
    for _ in range(1200):
        if len(received) >= READERS // 4:
            break
        await asyncio.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    before = len(received)
    assert 0 < before < READERS  # really killed mid-run
    assert max(Counter(r.rcpt_tos[0] for r in received).values()) == 1  # none sent twice
    async with mail_rig.database.reader.execute(
        "SELECT count(*) FROM outbox WHERE channel = 'email' AND status = 'sending'"
    ) as cur:
        row = await cur.fetchone()
    in_flight = int(row[0]) if row else 0

    # The restarted sender, once the dead one's leases (30 s) ran out.
    mail_rig.clock.advance(31)
    sender = mail_rig.sender(EmailOptions(lease_s=30), owner="restarted")
    while await sender.send_due():
        pass
    per_address = Counter(r.rcpt_tos[0] for r in received)
    assert all(per_address[a] >= 1 for a in addresses)  # nothing lost
    duplicates = len(received) - READERS
    assert duplicates <= in_flight
    rows = await mail_rig.rows()
    assert {r[1] for r in rows} == {"sent"}
    assert sum(r[4] for r in rows) >= duplicates  # each possible duplicate is counted
    assert sender.tally.sent == len(received) - before  # every accepted mail recorded once
