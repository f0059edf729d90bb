"""Unsubscribing by mail (List-Unsubscribe's ``mailto:``, RFC 2369), through the real
bounce receiver (SMTP on 127.0.0.1) and the real IMAP poller (tests/support/imap): the
digest's own mailto unsubscribes its reader ("unsubscribed by mail"), shown by
`bot email bounces` as ``unsubscribed``, once however often it arrives, and the next
issue is not mailed to them; a forged VERP token, a reply, another subject or an
automatic message change nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiosmtplib
import pytest
from click.testing import CliRunner, Result
from pydantic import SecretStr

from bot.cli import main
from bot.mail.imap import ImapPoller, ImapUrl
from bot.mail.receiver import BounceHandler, start_receiver
from bot.mail.tokens import Tokens
from bot.run.bounces import BounceRecorder
from bot.store.bounces import recent_bounces
from bot.store.subscribers import find_subscriber
from tests.support.imap import ImapServer
from tests.support.smtp import free_port
from tests.support.smtp_outbox import SECRET, MailRig
from tests.support.store import make_entry, make_issue

FIRST = make_issue("2026-12-01", make_entry("ncnn 推理加速三倍", url="https://example.org/ncnn"))
SECOND = make_issue("2026-12-15", make_entry("TVM 新版发布", url="https://example.org/tvm"))


def request(to: str, subject: str = "unsubscribe", extra: str = "") -> bytes:
    """What a mail client sends for ``mailto:<to>?subject=<subject>``."""
    return (
        f"From: Ann <ann@example.org>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{abs(hash((to, subject, extra)))}@client.example.org>\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "sent from the unsubscribe button\r\n"
    ).encode()


async def digest_mailto(rig: MailRig, address: str) -> tuple[str, str]:
    """(address, subject) of the List-Unsubscribe mailto in the digest ``address`` got."""
    await rig.publish(FIRST)
    await rig.sender().send_due()
    data = next(r.data for r in rig.sink.handler.received if r.rcpt_tos == [address])
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    mailto = next(
        part.strip().strip("<>")
        for part in str(msg["List-Unsubscribe"]).split(",")
        if "mailto:" in part
    )
    url = urlsplit(mailto)
    return url.path, parse_qs(url.query)["subject"][0]


@pytest.fixture
async def receiver(mail_rig: MailRig) -> AsyncIterator[tuple[int, BounceHandler]]:
    """`bot run`'s bounce receiver on 127.0.0.1, recording into the rig's database."""
    handler = BounceHandler(
        mail_rig.mailer.tokens, "example.org", BounceRecorder(mail_rig.database, "smtp")
    )
    port = free_port()
    server = await start_receiver(handler, f"127.0.0.1:{port}", hostname="bounces.example.org")
    try:
        yield port, handler
    finally:
        server.close()
        await server.wait_closed()


async def send(port: int, to: str, data: bytes) -> str:
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as smtp:
        errors, reply = await smtp.sendmail("ann@example.org", [to], data)
    assert errors == {}
    return reply


async def status_of(rig: MailRig, address: str) -> tuple[str, str | None]:
    found = await find_subscriber(rig.database.reader, address)
    assert found is not None
    return found.status, found.reason


async def test_the_digests_mailto_unsubscribes_its_reader_once(
    mail_rig: MailRig, receiver: tuple[int, BounceHandler], db_path: Path
) -> None:
    port, _ = receiver
    await mail_rig.subscriber("ann@example.org")
    await mail_rig.subscriber("bob@example.org")
    to, subject = await digest_mailto(mail_rig, "ann@example.org")
    assert to.startswith("bounces+") and to.endswith("@example.org") and subject == "unsubscribe"

    message = request(to, subject)
    assert (await send(port, to, message)).startswith("2.0.0 OK")
    await send(port, to, message)  # the MTA delivered it again: nothing more happens
    assert await status_of(mail_rig, "ann@example.org") == ("unsubscribed", "unsubscribed by mail")
    assert (await status_of(mail_rig, "bob@example.org"))[0] == "confirmed"
    events = await recent_bounces(mail_rig.database.reader)
    assert [(e.address, e.kind, e.effect, e.source) for e in events] == [
        ("ann@example.org", "unsubscribe", "unsubscribed", "smtp")
    ]

    await send(port, to, request(to, "UNSUBSCRIBE", extra="X-Again: 1\r\n"))  # asked twice
    events = await recent_bounces(mail_rig.database.reader)
    assert [e.effect for e in events] == ["none", "unsubscribed"]  # already off the list

    before = len(mail_rig.sink.handler.received)
    await mail_rig.publish(SECOND)
    await mail_rig.sender().send_due()
    assert [r.rcpt_tos for r in mail_rig.sink.handler.received[before:]] == [["bob@example.org"]]

    shown: Result = await asyncio.to_thread(
        CliRunner().invoke, main, ["email", "bounces", "ann@example.org", "--db", str(db_path)]
    )
    assert shown.exit_code == 0, shown.output
    assert "ann@example.org  unsubscribe  unsubscribed  via smtp" in shown.output


@pytest.mark.parametrize(
    ("subject", "extra"),
    [
        ("Re: unsubscribe", ""),  # a reply to a mail is no request
        ("Fwd: unsubscribe", ""),
        ("please unsubscribe me", ""),
        ("hello", ""),
        ("unsubscribe", "Auto-Submitted: auto-replied\r\n"),  # an out-of-office reply
    ],
)
async def test_other_mail_to_the_address_changes_nothing(
    mail_rig: MailRig, receiver: tuple[int, BounceHandler], subject: str, extra: str
) -> None:
    port, handler = receiver
    await mail_rig.subscriber("ann@example.org")
    to, _ = await digest_mailto(mail_rig, "ann@example.org")
    reply = await send(port, to, request(to, subject, extra))
    assert "not a bounce report nor an unsubscribe request" in reply and handler.ignored == 1
    assert (await status_of(mail_rig, "ann@example.org"))[0] == "confirmed"
    assert await recent_bounces(mail_rig.database.reader) == []


async def test_a_forged_verp_token_unsubscribes_nobody(
    mail_rig: MailRig, receiver: tuple[int, BounceHandler]
) -> None:
    port, _ = receiver
    ann = await mail_rig.subscriber("ann@example.org")
    forger = Tokens(SecretStr("not-our-secret-at-all-xxxxxxx"))
    fake = forger.verp_address(ann.id, "example.org")
    await send(port, fake, request(fake))
    assert (await status_of(mail_rig, "ann@example.org"))[0] == "confirmed"
    (event,) = await recent_bounces(mail_rig.database.reader)
    assert (event.address, event.kind, event.effect) == (None, "unsubscribe", "unknown")


async def test_the_mailto_of_a_months_old_digest_still_unsubscribes(
    mail_rig: MailRig, receiver: tuple[int, BounceHandler]
) -> None:
    port, _ = receiver
    ann = await mail_rig.subscriber("ann@example.org")
    then = Tokens(SecretStr(SECRET), clock=lambda: time.time() - 90 * 86_400)
    old = then.verp_address(ann.id, "example.org")  # what a digest of 90 days ago offered
    await send(port, old, request(old))
    assert await status_of(mail_rig, "ann@example.org") == ("unsubscribed", "unsubscribed by mail")


async def test_the_imap_poller_unsubscribes_by_mail_and_deletes_the_request(
    mail_rig: MailRig, imap_server: ImapServer
) -> None:
    await mail_rig.subscriber("ann@example.org")
    to, subject = await digest_mailto(mail_rig, "ann@example.org")
    request_uid = imap_server.box.add(request(to, subject.capitalize()))
    reply_uid = imap_server.box.add(request(to, "Re: unsubscribe"))
    recorder = BounceRecorder(mail_rig.database, "imap")
    poller = ImapPoller(ImapUrl.parse(imap_server.url()), mail_rig.mailer.tokens, recorder)
    found = await poller.poll_once()
    assert (found.recorded, found.ignored, found.failed) == (1, 1, 0)
    assert await status_of(mail_rig, "ann@example.org") == ("unsubscribed", "unsubscribed by mail")
    assert request_uid not in imap_server.box.messages  # recorded, then deleted
    assert imap_server.box.messages[reply_uid][0] == {"\\Seen"}  # left for a person
    (event,) = await recent_bounces(mail_rig.database.reader)
    assert (event.kind, event.effect, event.source) == ("unsubscribe", "unsubscribed", "imap")
