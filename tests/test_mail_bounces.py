"""Bounces and complaints: hand-written postfix-style DSNs and ARF reports around one of our
real messages, the subscriber found from VERP wherever it survives, and the bounce receiver
over real SMTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiosmtplib
import pytest
from pydantic import SecretStr

from bot.mail.bounces import Bounce, parse_report
from bot.mail.message import Sender, build_message, make_message_id
from bot.mail.receiver import BounceHandler, ListenError, parse_listen, start_receiver
from bot.mail.tokens import Tokens
from bot.render.email import render_confirm_email
from tests.support.smtp import free_port

TOKENS = Tokens(SecretStr("a-test-secret-of-enough-length"))
SUBSCRIBER = 4242
BOUNDARY = "4F2A31234.1609833603/mx.example.org"


def original(subscriber: int = SUBSCRIBER) -> tuple[str, bytes]:
    """One of our real messages: its VERP sender and bytes (as the MTA saw them)."""
    mail = render_confirm_email(
        lang="zh", address="gone@example.com", confirm_url="https://d.example.org/confirm/t"
    )
    out = build_message(
        mail,
        sender=Sender.parse("嵌入式AI简报 <digest@example.org>"),
        to="gone@example.com",
        message_id=make_message_id("confirm", "-", subscriber, "example.org"),
        envelope_sender=TOKENS.verp_address(subscriber, "example.org"),
        unsubscribe_url="https://d.example.org/unsubscribe/t",
        unsubscribe_mailto="mailto:unsubscribe@example.org",
        date=datetime(2021, 1, 5, 8, 0, tzinfo=UTC),
    )
    return out.envelope_sender, out.data


def postfix_dsn(
    *,
    to: str,
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = "smtp; 550 5.1.1 <gone@example.com>: Recipient address rejected:\r\n"
    "    User unknown in virtual mailbox table",
    returned: str = "message/rfc822",
    postfix_sender: str | None = None,
    original_bytes: bytes | None = None,
) -> bytes:
    """A DSN the way postfix 3.7 writes it (bounce(8) template, three parts)."""
    sender, data = original()
    body = original_bytes if original_bytes is not None else data
    if returned == "text/rfc822-headers":
        body = body.split(b"\r\n\r\n", 1)[0] + b"\r\n"
        description = "Undelivered Message Headers"
    else:
        description = "Undelivered Message"
    sender_line = f"X-Postfix-Sender: rfc822; {postfix_sender}\r\n" if postfix_sender else ""
    head = (
        "Return-Path: <>\r\n"
        "Received: by mx.example.org (Postfix)\r\n"
        "\tid 4F2A31234; Tue,  5 Jan 2021 08:00:03 +0000 (UTC)\r\n"
        "Date: Tue,  5 Jan 2021 08:00:03 +0000 (UTC)\r\n"
        "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"To: {to}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        f'\tboundary="{BOUNDARY}"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n"
        "Message-Id: <20210105080003.5F2B91235@mx.example.org>\r\n"
        "\r\n"
        "This is a MIME-encapsulated message.\r\n"
        "\r\n"
        f"--{BOUNDARY}\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is the mail system at host mx.example.org.\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients. It's attached below.\r\n"
        "\r\n"
        "<gone@example.com>: host mx.example.com[192.0.2.10] said: 550 5.1.1\r\n"
        "    <gone@example.com>: Recipient address rejected: User unknown in virtual\r\n"
        "    mailbox table (in reply to RCPT TO command)\r\n"
        "\r\n"
        f"--{BOUNDARY}\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n"
        "X-Postfix-Queue-ID: 4F2A31234\r\n"
        f"{sender_line}"
        "Arrival-Date: Tue,  5 Jan 2021 08:00:01 +0000 (UTC)\r\n"
        "\r\n"
        "Final-Recipient: rfc822; gone@example.com\r\n"
        "Original-Recipient: rfc822;gone@example.com\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; mx.example.com\r\n"
        f"Diagnostic-Code: {diagnostic}\r\n"
        "\r\n"
        f"--{BOUNDARY}\r\n"
        f"Content-Description: {description}\r\n"
        f"Content-Type: {returned}\r\n"
        "Content-Transfer-Encoding: 7bit\r\n"
        "\r\n"
    ).encode()
    assert sender  # the VERP address is in the returned message's Return-Path
    return head + body + f"\r\n--{BOUNDARY}--\r\n".encode()


def arf(*, feedback: str = "abuse", mail_from: str | None = None, strip: bool = False) -> bytes:
    """An ARF report (RFC 5965 §3.5 layout) around our message, as a mailbox provider's
    feedback loop sends it to the registered address (not to VERP)."""
    _, data = original()
    if strip:  # some feedback loops strip the envelope and redact the recipient
        head, _, rest = data.partition(b"\r\n\r\n")
        kept = [line for line in head.split(b"\r\n") if not line.startswith(b"Return-Path")]
        data = b"\r\n".join(kept) + b"\r\n\r\n" + rest
    mail_from_line = f"Original-Mail-From: <{mail_from}>\r\n" if mail_from else ""
    return (
        "From: <abuse@mail.example.net>\r\n"
        "Date: Thu, 7 Jan 2021 14:00:00 +0000\r\n"
        "Subject: FW: 请确认订阅嵌入式AI简报\r\n".encode()
        + (
            "To: <fbl@example.org>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=feedback-report;\r\n"
            '\tboundary="part1_13d.2e68ed54_boundary"\r\n'
            "\r\n"
            "--part1_13d.2e68ed54_boundary\r\n"
            'Content-Type: text/plain; charset="US-ASCII"\r\n'
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "This is an email abuse report for an email message received from IP\r\n"
            "192.0.2.1 on Thu, 7 Jan 2021 14:00:00 +0000.\r\n"
            "\r\n"
            "--part1_13d.2e68ed54_boundary\r\n"
            "Content-Type: message/feedback-report\r\n"
            "\r\n"
            f"Feedback-Type: {feedback}\r\n"
            "User-Agent: SomeGenerator/1.0\r\n"
            "Version: 1\r\n"
            f"{mail_from_line}"
            "Original-Rcpt-To: <gone@example.com>\r\n"
            "Arrival-Date: Thu, 7 Jan 2021 14:00:00 +0000\r\n"
            "Reporting-MTA: dns; mail.example.net\r\n"
            "Source-IP: 192.0.2.1\r\n"
            "\r\n"
            "--part1_13d.2e68ed54_boundary\r\n"
            "Content-Type: message/rfc822\r\n"
            "Content-Disposition: inline\r\n"
            "\r\n"
        ).encode()
        + data
        + b"\r\n--part1_13d.2e68ed54_boundary--\r\n"
    )


def test_postfix_hard_bounce_with_the_whole_message() -> None:
    verp, _ = original()
    bounce = parse_report(postfix_dsn(to=verp), TOKENS, envelope_recipients=[verp])
    assert bounce is not None
    assert (bounce.kind, bounce.subscriber_id, bounce.recipient) == (
        "hard",
        SUBSCRIBER,
        "gone@example.com",
    )
    assert (bounce.status, bounce.action) == ("5.1.1", "failed")
    assert bounce.diagnostic.startswith("smtp; 550 5.1.1 <gone@example.com>: Recipient address")
    assert "\n" not in bounce.diagnostic
    assert bounce.message_id == make_message_id("confirm", "-", SUBSCRIBER, "example.org")
    assert bounce.suppresses


def test_subscriber_from_text_rfc822_headers_only() -> None:
    """listmonk #492: the original comes back as headers only, and the DSN itself went to
    a forwarding address, so the envelope and the DSN's To say nothing."""
    dsn = postfix_dsn(to="postmaster@example.org", returned="text/rfc822-headers")
    bounce = parse_report(dsn, TOKENS, envelope_recipients=["postmaster@example.org"])
    assert bounce is not None and bounce.kind == "hard"
    assert bounce.subscriber_id == SUBSCRIBER
    assert bounce.message_id is not None


def test_subscriber_from_the_envelope_alone() -> None:
    verp, data = original(77)
    bare = data.replace(b"Return-Path", b"X-Removed")  # nothing useful in the returned copy
    dsn = postfix_dsn(to="someone@example.org", original_bytes=bare)
    bounce = parse_report(dsn, TOKENS, envelope_recipients=[verp])
    assert bounce is not None and bounce.subscriber_id == 77


def test_subscriber_from_x_postfix_sender() -> None:
    verp, data = original(78)
    bare = data.replace(b"Return-Path", b"X-Removed")
    dsn = postfix_dsn(to="x@example.org", original_bytes=bare, postfix_sender=verp)
    bounce = parse_report(dsn, TOKENS)
    assert bounce is not None and bounce.subscriber_id == 78


@pytest.mark.parametrize(
    ("action", "status", "kind"),
    [
        ("failed", "5.2.2", "hard"),
        ("failed", "4.4.7", "soft"),  # given up after a temporary failure
        ("delayed", "4.4.1", "soft"),
        ("delivered", "2.0.0", None),
        ("relayed", "2.0.0", None),
    ],
)
def test_actions_and_status_classes(action: str, status: str, kind: str | None) -> None:
    verp, _ = original()
    dsn = postfix_dsn(to=verp, action=action, status=status, diagnostic=f"smtp; 4xx {status}")
    bounce = parse_report(dsn, TOKENS, envelope_recipients=[verp])
    assert (bounce.kind if bounce else None) == kind
    if bounce is not None:
        assert bounce.status == status and bounce.suppresses == (kind == "hard")


def test_a_forged_verp_identifies_nobody() -> None:
    forger = Tokens(SecretStr("not-our-secret-at-all-xxxxxxx"))
    fake = forger.verp_address(SUBSCRIBER, "example.org")
    _, data = original()
    forged = data.replace(TOKENS.verp_address(SUBSCRIBER, "example.org").encode(), fake.encode())
    dsn = postfix_dsn(to=fake, original_bytes=forged)
    bounce = parse_report(dsn, TOKENS, envelope_recipients=[fake])
    assert bounce is not None and bounce.kind == "hard" and bounce.subscriber_id is None


def test_arf_complaint() -> None:
    bounce = parse_report(arf(), TOKENS, envelope_recipients=["fbl@example.org"])
    assert bounce is not None
    assert (bounce.kind, bounce.subscriber_id, bounce.feedback_type) == (
        "complaint",
        SUBSCRIBER,
        "abuse",
    )
    assert bounce.recipient == "gone@example.com" and bounce.suppresses


def test_arf_with_a_stripped_original_uses_original_mail_from() -> None:
    verp, _ = original()
    assert parse_report(arf(strip=True), TOKENS) is not None
    assert parse_report(arf(strip=True), TOKENS).subscriber_id is None  # type: ignore[union-attr]
    bounce = parse_report(arf(strip=True, mail_from=verp), TOKENS)
    assert bounce is not None and bounce.subscriber_id == SUBSCRIBER


def test_not_spam_and_ordinary_mail_are_not_reports() -> None:
    assert parse_report(arf(feedback="not-spam"), TOKENS) is None
    vacation = (
        b"From: reader@example.com\r\nTo: bounces+x@example.org\r\nSubject: Out of office\r\n"
        b"Auto-Submitted: auto-replied\r\nContent-Type: text/plain\r\n\r\nBack on Monday.\r\n"
    )
    assert parse_report(vacation, TOKENS) is None
    assert parse_report(b"garbage \xff\xfe\r\n\r\n", TOKENS) is None


# -- the receiver over real SMTP -------------------------------------------------------


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[int, list[Bounce], BounceHandler]]:
    got: list[Bounce] = []

    async def record(bounce: Bounce) -> None:
        if bounce.subscriber_id == 13:
            raise RuntimeError("database is locked")
        got.append(bounce)

    handler = BounceHandler(TOKENS, "example.org", record)
    port = free_port()
    server = await start_receiver(handler, f"127.0.0.1:{port}", hostname="bounces.example.org")
    try:
        yield port, got, handler
    finally:
        server.close()
        await server.wait_closed()


async def test_the_receiver_hands_reports_to_the_callback(
    receiver: tuple[int, list[Bounce], BounceHandler],
) -> None:
    port, got, handler = receiver
    verp, _ = original()
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as smtp:
        errors, reply = await smtp.sendmail("", [verp], postfix_dsn(to=verp))
        assert errors == {} and reply.startswith("2.0.0 OK")
        await smtp.sendmail("", [verp.upper()], arf())  # case changed by some MTA
        # Not a bounce address: refused at RCPT, so this is no open relay.
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await smtp.sendmail("", ["reader@example.org"], b"Subject: hi\r\n\r\nhi\r\n")
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await smtp.sendmail("", [verp.replace("example.org", "other.example")], b"x\r\n")
        await smtp.sendmail("", [verp], b"Subject: out of office\r\n\r\nback monday\r\n")
    assert [(b.kind, b.subscriber_id) for b in got] == [
        ("hard", SUBSCRIBER),
        ("complaint", SUBSCRIBER),
    ]
    assert handler.ignored == 1


async def test_a_failing_callback_makes_the_mta_retry(
    receiver: tuple[int, list[Bounce], BounceHandler],
) -> None:
    port, got, _ = receiver
    verp, data = original(13)
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as smtp:
        with pytest.raises(aiosmtplib.SMTPDataError) as caught:
            await smtp.sendmail("", [verp], postfix_dsn(to=verp, original_bytes=data))
    assert caught.value.code == 451 and got == []


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:2526") == ("127.0.0.1", 2526)
    assert parse_listen("[::1]:25") == ("::1", 25)
    for bad in ("2526", "host:", "host:99999", ":25"):
        with pytest.raises(ListenError):
            parse_listen(bad)
