"""The core pieces together: render → build → DKIM-sign → SMTP to a real server → what the
server received is the same message, still verifies, and still carries every header."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import dkim
import pytest
from pydantic import SecretStr

from bot.digest.model import Issue
from bot.mail.bounces import parse_report
from bot.mail.dkim import DkimSigner
from bot.mail.message import Sender, build_message, make_message_id
from bot.mail.smtp import SmtpPool, SmtpUrl
from bot.mail.tokens import Tokens
from bot.render.email import render_email_digest
from tests.support.dkim import DkimKey
from tests.support.smtp import Sink

TOKENS = Tokens(SecretStr("a-test-secret-of-enough-length"))


@pytest.fixture(scope="module")
def signer(dkim_key: DkimKey) -> tuple[DkimSigner, bytes]:
    return DkimSigner.from_file("s2026", "example.org", dkim_key.path), dkim_key.record


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_digest_arrives_signed_and_whole(
    shapes_issue: Issue, smtp_sink: Sink, signer: tuple[DkimSigner, bytes], lang: str
) -> None:
    dkim_signer, record = signer
    subscriber = 31
    base = "https://digest.example.org"
    unsubscribe = f"{base}/unsubscribe/{TOKENS.make('unsubscribe', subscriber)}"
    rendered = render_email_digest(
        shapes_issue,
        lang=lang,
        address="reader@example.com",
        unsubscribe_url=unsubscribe,
        preferences_url=f"{base}/preferences/{TOKENS.make('preferences', subscriber)}",
        include=["量化", "部署"],
    )
    assert rendered is not None
    out = build_message(
        rendered,
        sender=Sender.parse("嵌入式AI简报 <digest@example.org>"),
        to="reader@example.com",
        message_id=make_message_id("digest", shapes_issue.date or "", subscriber, "example.org"),
        envelope_sender=TOKENS.verp_address(subscriber, "example.org"),
        unsubscribe_url=unsubscribe,
        unsubscribe_mailto="mailto:unsubscribe@example.org?subject=unsubscribe",
        date=datetime(2023, 4, 10, 8, 0, tzinfo=UTC),
    )
    async with SmtpPool(SmtpUrl.parse(smtp_sink.url()), rate=1000) as pool:
        outcome = await pool.deliver(out, dkim_signer)
    assert outcome.sent
    (got,) = smtp_sink.handler.received
    assert got.mail_from == out.envelope_sender and got.rcpt_tos == ["reader@example.com"]
    assert dkim.verify(got.data, dnsfunc=lambda name, timeout=5: record)
    msg = email.message_from_bytes(got.data, policy=policy.default)
    assert str(msg["Subject"]) == rendered.subject
    assert str(msg["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert unsubscribe in str(msg["List-Unsubscribe"])
    text = msg.get_body(("plain",))
    assert text is not None and "reader@example.com" in text.get_content()
    # What a reader's one-click POST and a bounce would carry back identify the reader.
    assert TOKENS.read("unsubscribe", unsubscribe.rsplit("/", 1)[1]) == subscriber
    assert parse_report(got.data, TOKENS) is None  # our own mail is not a report
    assert TOKENS.read_verp(got.mail_from) == subscriber
