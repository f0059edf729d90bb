"""DKIM on the digest mails the e-mail sender sends (BOT_DKIM_SELECTOR/BOT_DKIM_KEY_FILE),
as received by a real SMTP server on 127.0.0.1: dkimpy verifies every one, on both ways
of building it — the fast per-template bytes (bot.delivery.email_bytes) and the full
``digest_message`` build the sender falls back to — and the signature covers RFC 8058's
List-Unsubscribe and List-Unsubscribe-Post."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import dkim
import pytest

from bot.delivery.email_message import MailCache
from bot.mail.mailer import Mailer
from tests.support.dkim import DkimKey
from tests.support.smtp import Sink
from tests.support.smtp_outbox import MailRig, mail_settings
from tests.support.store import make_entry, make_issue

ISSUE = make_issue("2026-12-01", make_entry("ncnn 推理加速三倍", url="https://example.org/ncnn"))
SELECTOR = "mail2026"


class DroppedTemplates(dict):  # type: ignore[type-arg]
    """A template cache in which every template is dropped (as after a failed check):
    the sender builds each mail with ``digest_message``."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: object) -> None:
        return None


def signed_headers(data: bytes) -> set[str]:
    header = str(message_from_bytes(data, policy=policy.default)["DKIM-Signature"])
    tags = dict(part.strip().split("=", 1) for part in header.split(";") if "=" in part)
    return {h.strip().lower() for h in "".join(tags["h"].split()).split(":")}


async def send_signed(
    rig: MailRig, sink: Sink, key: Path, *, fast: bool
) -> tuple[list[bytes], MailCache]:
    settings = mail_settings(sink, dkim_selector=SELECTOR, dkim_key_file=key)
    rig.mailer = Mailer.from_settings(settings, pool_size=2)
    try:
        for name in ("ann", "bob", "cat"):
            await rig.subscriber(f"{name}@example.org")
        await rig.subscriber("dan@example.org", lang="en")
        await rig.publish(ISSUE)
        sender = rig.sender()
        if not fast:
            sender.cache.templates = DroppedTemplates()
        await sender.send_due()
    finally:
        await rig.mailer.close()
    return [r.data for r in sink.handler.received], sender.cache


@pytest.mark.parametrize("fast", [True, False], ids=["template-bytes", "digest_message"])
async def test_every_digest_mail_sent_carries_a_valid_dkim_signature(
    mail_rig: MailRig, smtp_sink: Sink, dkim_key: DkimKey, fast: bool
) -> None:
    key, record = dkim_key
    mails, cache = await send_signed(mail_rig, smtp_sink, key, fast=fast)
    if fast:  # the template of each language was built, checked once and used
        templates = list(cache.templates.values())
        assert len(templates) == 2 and all(t is not None and t.checked for t in templates)

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes:
        return record if name == f"{SELECTOR}._domainkey.example.org.".encode() else b""

    assert len(mails) == 4
    for data in mails:
        assert data.startswith(b"DKIM-Signature:")
        assert dkim.verify(data, dnsfunc=dnsfunc), data[:400]
        assert {"list-unsubscribe", "list-unsubscribe-post", "from", "to", "message-id"} <= (
            signed_headers(data)
        )
        forged = data.replace(b"List-Unsubscribe=One-Click", b"List-Unsubscribe=Never")
        assert forged != data and not dkim.verify(forged, dnsfunc=dnsfunc)


async def test_without_a_dkim_key_mails_are_not_signed(mail_rig: MailRig) -> None:
    await mail_rig.subscriber("ann@example.org")
    await mail_rig.publish(ISSUE)
    await mail_rig.sender().send_due()
    (received,) = mail_rig.sink.handler.received
    assert b"DKIM-Signature" not in received.data
