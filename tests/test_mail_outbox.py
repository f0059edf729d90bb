"""Digest e-mail through the outbox, against a real SMTP server on 127.0.0.1: publish →
one mail per matching confirmed subscriber with the bulk headers; 550 → suppressed after
one try; 451 → retried later and delivered; suppression checked at claim; a re-publish
never mails twice; the SMTP password never in the logs."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from bot.delivery.email_sender import EmailOptions
from bot.mail.mailer import Mailer
from bot.mail.smtp import Outcome, SmtpPool
from bot.publishing.unpublish import unpublish
from bot.store.delivery_report import requeue_failed
from bot.store.subscribers import find_subscriber, suppress, unsubscribe
from tests.support.smtp import Sink, text_part
from tests.support.smtp_outbox import MailRig, mail_settings
from tests.support.store import make_entry, make_issue

NCNN = make_entry("ncnn 推理加速三倍", url="https://example.org/ncnn", summary="ncnn 新版本")
RUST = make_entry("用 Rust 写的嵌入式调度器", url="https://example.org/rust", section="项目")
ISSUE = make_issue("2026-12-01", NCNN, RUST)


def parsed(data: bytes) -> EmailMessage:
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def mails_to(sink: Sink, address: str) -> list[bytes]:
    return [r.data for r in sink.handler.received if r.rcpt_tos == [address]]


async def test_publish_mails_each_matching_subscriber_once_with_the_bulk_headers(
    mail_rig: MailRig,
) -> None:
    await mail_rig.subscriber("ann@example.org", ["ncnn"])
    await mail_rig.subscriber("bob@example.org")  # no topics: everything
    await mail_rig.subscriber("cat@example.org", ["stm32mp1-none"])  # matches nothing
    published = await mail_rig.publish(ISSUE)
    assert published.mails == 2
    await mail_rig.sender().send_due()
    assert sorted(r.rcpt_tos[0] for r in mail_rig.sink.handler.received) == [
        "ann@example.org",
        "bob@example.org",
    ]
    (ann,) = mails_to(mail_rig.sink, "ann@example.org")
    text = text_part(ann)
    assert "ncnn 推理加速三倍" in text and "Rust" not in text  # only her topic
    assert "Rust" in text_part(mails_to(mail_rig.sink, "bob@example.org")[0])
    assert "https://digest.example.org/issues/2026-12-01" in text  # the latest revision
    msg = parsed(ann)
    assert msg["To"] == "ann@example.org" and "digest@example.org" in msg["From"]
    assert msg["Message-ID"].startswith("<digest.") and msg["List-Id"]
    unsub = msg["List-Unsubscribe"]
    assert unsub.startswith("<https://digest.example.org/unsubscribe/") and "<mailto:" in unsub
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    envelope = mail_rig.sink.handler.received[0].mail_from
    assert envelope.startswith("bounces+") and msg["Return-Path"].startswith("<bounces+")
    assert "bob@example.org" not in ann.decode("ascii")  # links and address are hers
    assert [r[1] for r in await mail_rig.rows()] == ["sent", "sent"]
    assert await mail_rig.sender().send_due() == 0  # nothing left, nothing resent


async def test_a_550_at_rcpt_suppresses_the_subscriber_after_one_try(mail_rig: MailRig) -> None:
    await mail_rig.subscriber("gone@example.org")
    mail_rig.sink.handler.refuse_rcpt["gone@example.org"] = [
        "550 5.1.1 <gone@example.org>: mailbox unavailable"
    ] * 5
    await mail_rig.publish(ISSUE)
    sender = mail_rig.sender()
    await sender.send_due()
    found = await find_subscriber(mail_rig.database.reader, "gone@example.org")
    assert found is not None and found.status == "bounced"
    assert found.reason is not None and "550 5.1.1" in found.reason
    ((_, status, attempts, error, _),) = await mail_rig.rows()
    assert (status, attempts) == ("failed", 1) and "mailbox unavailable" in error
    assert await mail_rig.database.write(requeue_failed) == 0  # --retry leaves a bounce alone
    mail_rig.clock.advance(7 * 86400)
    assert await sender.send_due() == 0
    assert len(mail_rig.sink.handler.refuse_rcpt["gone@example.org"]) == 4  # asked once


async def test_a_451_is_retried_later_and_delivered(mail_rig: MailRig) -> None:
    await mail_rig.subscriber("busy@example.org")
    mail_rig.sink.handler.refuse_rcpt["busy@example.org"] = ["451 4.7.1 greylisted, try later"]
    await mail_rig.publish(ISSUE)
    sender = mail_rig.sender()
    assert await sender.send_due() == 1
    ((_, status, _, error, _),) = await mail_rig.rows()
    assert status == "pending" and "451 4.7.1 greylisted" in error
    assert await sender.send_due() == 0  # backing off: not due yet
    assert mail_rig.sink.handler.received == []
    mail_rig.clock.advance(3600)
    assert await sender.send_due() == 1
    assert len(mails_to(mail_rig.sink, "busy@example.org")) == 1
    assert [r[1:3] for r in await mail_rig.rows()] == [("sent", 2)]


async def test_deferred_for_the_whole_span_is_failed_then_requeued(mail_rig: MailRig) -> None:
    await mail_rig.subscriber("slow@example.org")
    mail_rig.sink.handler.refuse_rcpt["slow@example.org"] = ["452 4.2.2 mailbox full"] * 2
    await mail_rig.publish(ISSUE)
    sender = mail_rig.sender(EmailOptions.for_minutes(30))
    await sender.send_due()
    mail_rig.clock.advance(3600)
    await sender.send_due()
    ((_, status, _, error, _),) = await mail_rig.rows()
    assert status == "failed" and "gave up after 30 min" in error and "452 4.2.2" in error
    assert await mail_rig.database.write(requeue_failed) == 1  # bot deliveries --retry
    await sender.send_due()
    assert len(mails_to(mail_rig.sink, "slow@example.org")) == 1


async def test_suppression_is_checked_at_claim(mail_rig: MailRig) -> None:
    ann = await mail_rig.subscriber("ann@example.org")
    bob = await mail_rig.subscriber("bob@example.org")
    await mail_rig.subscriber("cat@example.org")
    await mail_rig.publish(ISSUE)
    await mail_rig.database.write(lambda conn: unsubscribe(conn, ann.id, "one-click"))
    await mail_rig.database.write(lambda conn: suppress(conn, bob.id, "complained", "ARF"))
    await mail_rig.sender().send_due()
    assert [r.rcpt_tos for r in mail_rig.sink.handler.received] == [["cat@example.org"]]
    rows = {r[0]: r for r in await mail_rig.rows()}
    assert rows["ann@example.org"][1:4:2] == ("cancelled", "subscriber is unsubscribed")
    assert rows["bob@example.org"][1:4:2] == ("cancelled", "subscriber is complained")


async def test_a_republished_issue_is_never_mailed_twice(mail_rig: MailRig) -> None:
    await mail_rig.subscriber("ann@example.org")
    await mail_rig.publish(ISSUE)
    # Edited before the mail went out: the pending row renders the latest revision.
    edited = make_issue("2026-12-01", make_entry("ncnn 推理加速四倍", url=NCNN.url), RUST)
    again = await mail_rig.publish(edited)
    assert again.ingested.status == "updated" and again.mails == 0
    await mail_rig.sender().send_due()
    (mail,) = mails_to(mail_rig.sink, "ann@example.org")
    assert "推理加速四倍" in text_part(mail)
    # Edited after it went out: nothing is queued, nothing is sent.
    third = make_issue("2026-12-01", NCNN, RUST, make_entry("新条目 ncnn", url="https://x.org/n"))
    assert (await mail_rig.publish(third)).mails == 0
    await mail_rig.sender().send_due()
    assert len(mails_to(mail_rig.sink, "ann@example.org")) == 1


async def test_who_confirms_after_publication_does_not_get_the_old_issue(
    mail_rig: MailRig,
) -> None:
    await mail_rig.publish(ISSUE)
    await mail_rig.subscriber("late@example.org")
    edited = make_issue("2026-12-01", NCNN, make_entry("Rust 调度器 v2", url=RUST.url))
    assert (await mail_rig.publish(edited)).mails == 0
    await mail_rig.sender().send_due()
    assert mail_rig.sink.handler.received == []


async def test_unpublish_drops_pending_mails(mail_rig: MailRig) -> None:
    await mail_rig.subscriber("ann@example.org")
    await mail_rig.publish(ISSUE)
    await unpublish(mail_rig.database, "2026-12-01", by="test")
    assert await mail_rig.rows() == []
    assert await mail_rig.sender().send_due() == 0
    assert mail_rig.sink.handler.received == []


async def test_a_mail_at_the_subscribers_delivery_time_waits_for_it(mail_rig: MailRig) -> None:
    ann = await mail_rig.subscriber("ann@example.org")
    hour = (int(mail_rig.clock() // 3600) + 3) % 24
    await mail_rig.database.write(
        lambda conn: conn.execute(
            "UPDATE email_subscribers SET delivery_time = ?, timezone = 'UTC' WHERE id = ?",
            (f"{hour:02d}:00", ann.id),
        )
    )
    await mail_rig.publish(ISSUE)
    assert await mail_rig.sender().send_due() == 0
    mail_rig.clock.advance(3 * 3600)
    assert await mail_rig.sender().send_due() == 1
    assert len(mails_to(mail_rig.sink, "ann@example.org")) == 1


async def test_a_connection_lost_after_data_is_resent_and_counted(mail_rig: MailRig) -> None:
    await mail_rig.subscriber("ann@example.org")
    mail_rig.sink.handler.drop_in_data = True  # the server got it, we never heard
    await mail_rig.publish(ISSUE)
    sender = mail_rig.sender()
    await sender.send_due()
    assert sender.tally.uncertain == 1
    assert (await mail_rig.rows())[0][1] == "pending"
    mail_rig.clock.advance(3600)
    await sender.send_due()
    ((_, status, attempts, _, resent),) = await mail_rig.rows()
    assert (status, attempts, resent) == ("sent", 2, 1)  # one possible duplicate, counted
    ids = {parsed(d)["Message-ID"] for d in mails_to(mail_rig.sink, "ann@example.org")}
    assert len(ids) == 1  # the copy carries the same Message-ID


async def test_the_smtp_password_never_reaches_the_logs(
    mail_rig: MailRig, smtp_sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    password = "s3cret p@ss:word"
    settings = mail_settings(smtp_sink, "digest:s3cret%20p%40ss%3Aword@")
    mailer = Mailer.from_settings(settings, pool_size=1)
    try:
        await mail_rig.subscriber("ann@example.org")
        await mail_rig.subscriber("bob@example.org")
        smtp_sink.handler.refuse_rcpt["ann@example.org"] = ["451 4.3.0 try again"]
        smtp_sink.handler.refuse_rcpt["bob@example.org"] = ["550 5.1.1 unknown"]
        await mail_rig.publish(ISSUE)
        sender = mail_rig.sender()
        sender.mailer = mailer
        await sender.send_due()
        rows = await mail_rig.rows()
    finally:
        await mailer.close()
    assert {r[1] for r in rows} == {"pending", "failed"}
    assert caplog.records  # something was logged
    assert password not in caplog.text and "s3cret" not in caplog.text
    assert not any(password in str(r[3]) for r in rows)


async def test_the_bytes_sent_are_digest_message_byte_for_byte(mail_rig: MailRig) -> None:
    from bot.delivery.email_bytes import _normalized, digest_bytes
    from bot.delivery.email_message import MailCache, Reader, digest_message

    cache = MailCache()
    readers = [
        Reader(1, "ann@example.org", "zh", "full", (("ncnn", "ncnn", False),)),
        Reader(2, "bob@example.org", "en", "compact"),
        Reader(3, "bea@example.org", "en", "compact"),
    ]
    for reader in readers:
        fast = digest_bytes(ISSUE, reader, mail_rig.mailer, cache=cache)
        slow = digest_message(ISSUE, reader, mail_rig.mailer)
        assert fast is not None and slow is not None
        assert _normalized(fast.data) == _normalized(slow.data)
        assert (fast.message_id, fast.envelope_sender) == (slow.message_id, slow.envelope_sender)
    assert sum(t is not None for t in cache.templates.values()) == 2  # one per render key
    assert cache.renders == 2  # bob and bea share one


async def test_an_orderly_stop_gives_back_what_was_not_sent(mail_rig: MailRig) -> None:
    import asyncio

    from bot.mail.smtp import SmtpPool

    for n in range(120):
        await mail_rig.subscriber(f"r{n}@example.org")
    await mail_rig.publish(ISSUE)
    mail_rig.mailer.pool = SmtpPool(mail_rig.mailer.pool.url, size=2, rate=40)
    stop = asyncio.Event()
    sender = mail_rig.sender(EmailOptions(workers=2))
    running = asyncio.create_task(sender.run(stop))
    received = mail_rig.sink.handler.received
    while len(received) < 50:  # noqa: ASYNC110 - the SMTP server's thread records them
        await asyncio.sleep(0.02)
    stop.set()
    tally = await asyncio.wait_for(running, 30)
    await mail_rig.mailer.pool.close()
    rows = await mail_rig.rows()
    statuses = [r[1] for r in rows]
    assert 0 < tally.sent == statuses.count("sent") == len(received) < 120
    assert len({r.rcpt_tos[0] for r in received}) == len(received)  # none twice
    assert set(statuses) == {"sent", "pending"}  # nothing left "sending"
    async with mail_rig.database.reader.execute(
        "SELECT count(*) FROM outbox WHERE lease_owner IS NOT NULL"
    ) as cur:
        assert (await cur.fetchone()) == (0,)
    assert [r[2] for r in rows if r[1] == "pending"] == [0] * statuses.count("pending")


async def test_paused_or_late_subscribers_with_topics_never_break_a_publish(
    mail_rig: MailRig,
) -> None:
    from bot.store.preferences import Preferences, save_preferences

    ann = await mail_rig.subscriber("ann@example.org", topics=["ncnn"])
    await mail_rig.subscriber("bob@example.org", topics=["ncnn"])
    prefs = Preferences(
        topics=["ncnn"], language="zh", delivery_time=None, timezone=None, paused=True
    )
    await mail_rig.database.write(lambda conn: save_preferences(conn, ann.id, prefs))
    first = await mail_rig.publish(ISSUE)  # a paused subscriber with topics is skipped
    assert first.mails == 1
    await mail_rig.subscriber("late@example.org", topics=["rust"])
    edited = make_issue("2026-12-01", NCNN, make_entry("Rust 调度器 v2", url=RUST.url))
    assert (await mail_rig.publish(edited)).mails == 0  # late one: not the old issue
    await mail_rig.sender().send_due()
    assert [r.rcpt_tos for r in mail_rig.sink.handler.received] == [["bob@example.org"]]


class _BrokenForOne(SmtpPool):
    """A pool with a bug for one recipient: an exception no mail server causes."""

    async def send(self, data: bytes, sender: str, recipient: str) -> Outcome:
        if recipient == "bug@example.org":
            raise RuntimeError("a bug in the pool")
        return await super().send(data, sender, recipient)


async def test_a_mail_that_fails_unexpectedly_is_retried_and_stops_nobody(
    mail_rig: MailRig,
) -> None:
    import asyncio

    mail_rig.mailer.pool = _BrokenForOne(mail_rig.mailer.pool.url, size=1, rate=1000)
    await mail_rig.subscriber("bug@example.org")
    for n in range(5):
        await mail_rig.subscriber(f"r{n}@example.org")
    await mail_rig.publish(ISSUE)
    stop = asyncio.Event()
    running = asyncio.create_task(mail_rig.sender(EmailOptions(workers=1)).run(stop))
    received = mail_rig.sink.handler.received
    async with asyncio.timeout(30):  # before the fix, the worker died: the rest never went
        while len(received) < 5:  # noqa: ASYNC110 - the SMTP server's thread records them
            await asyncio.sleep(0.02)
    stop.set()
    tally = await asyncio.wait_for(running, 30)
    await mail_rig.mailer.pool.close()
    assert tally.sent == 5 and tally.retried == 1
    rows = {r[0]: r for r in await mail_rig.rows()}
    assert rows["bug@example.org"][1] == "pending"  # again later, with backoff
    assert "internal error: RuntimeError" in rows["bug@example.org"][3]


async def test_a_sender_cut_short_gives_back_every_mail_not_handed_over(
    mail_rig: MailRig,
) -> None:
    import asyncio

    for n in range(6):
        await mail_rig.subscriber(f"r{n}@example.org")
    await mail_rig.publish(ISSUE)
    mail_rig.mailer.pool = SmtpPool(mail_rig.mailer.pool.url, size=1, rate=1000)
    handler = mail_rig.sink.handler
    handler.stall_data = True  # the first mail's DATA is not answered for a while
    stop = asyncio.Event()
    running = asyncio.create_task(mail_rig.sender(EmailOptions(workers=1)).run(stop))
    await asyncio.to_thread(handler.in_data.wait, 10)
    stop.set()  # what `bot run` does at a stop: then it waits a budget, then cancels
    done, _ = await asyncio.wait({running}, timeout=0.2)  # shorter than the stalled DATA
    assert not done
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    await mail_rig.mailer.pool.close()
    statuses = [r[1] for r in await mail_rig.rows()]
    assert statuses.count("sending") == 1  # only the one in flight: it may have arrived
    assert statuses.count("pending") == 5
    async with mail_rig.database.reader.execute(
        "SELECT count(*) FROM outbox WHERE lease_owner IS NOT NULL AND status = 'pending'"
    ) as cur:
        assert (await cur.fetchone()) == (0,)
