"""A paused e-mail subscriber (preferences page → pause) gets no digest, against a real
SMTP server on 127.0.0.1: no outbox row at publish; a row queued before the pause is
cancelled at claim ("subscriber is paused"); after resuming, the next issue arrives."""

from __future__ import annotations

from bot.store.preferences import Preferences, save_preferences
from bot.store.subscribers import Subscriber
from tests.support.smtp_outbox import MailRig
from tests.support.store import make_entry, make_issue

FIRST = make_issue("2026-12-01", make_entry("ncnn 推理加速三倍", url="https://example.org/ncnn"))
SECOND = make_issue("2026-12-15", make_entry("TVM 新版发布", url="https://example.org/tvm"))


async def set_paused(rig: MailRig, subscriber: Subscriber, paused: bool) -> None:
    prefs = Preferences(topics=[], language="zh", delivery_time=None, timezone=None, paused=paused)
    saved = await rig.database.write(lambda conn: save_preferences(conn, subscriber.id, prefs))
    assert saved is not None and (saved.paused_at is not None) is paused


def recipients(rig: MailRig) -> list[str]:
    return [r.rcpt_tos[0] for r in rig.sink.handler.received]


async def test_a_paused_subscriber_gets_no_row_at_publish(mail_rig: MailRig) -> None:
    ann = await mail_rig.subscriber("ann@example.org")
    await mail_rig.subscriber("bob@example.org")
    await set_paused(mail_rig, ann, True)
    published = await mail_rig.publish(FIRST)
    assert published.mails == 1
    await mail_rig.sender().send_due()
    assert recipients(mail_rig) == ["bob@example.org"]
    assert [r[0] for r in await mail_rig.rows()] == ["bob@example.org"]  # no row for ann


async def test_a_row_queued_before_the_pause_is_cancelled_at_claim_and_resume_mails_again(
    mail_rig: MailRig,
) -> None:
    ann = await mail_rig.subscriber("ann@example.org")
    await mail_rig.subscriber("bob@example.org")
    await mail_rig.publish(FIRST)
    await set_paused(mail_rig, ann, True)  # after the rows were queued, before sending
    await mail_rig.sender().send_due()
    assert recipients(mail_rig) == ["bob@example.org"]
    rows = {r[0]: r for r in await mail_rig.rows()}
    assert rows["ann@example.org"][1] == "cancelled"
    assert rows["ann@example.org"][3] == "subscriber is paused"
    assert await mail_rig.sender().send_due() == 0  # the cancelled row stays cancelled

    await set_paused(mail_rig, ann, False)
    assert (await mail_rig.publish(SECOND)).mails == 2
    await mail_rig.sender().send_due()
    assert sorted(recipients(mail_rig)[1:]) == ["ann@example.org", "bob@example.org"]
    assert recipients(mail_rig).count("ann@example.org") == 1  # the paused issue never came
