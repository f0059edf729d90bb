"""Unpublishing an issue that was mailed: a mail cannot be taken back, so it is counted
and said (the plan, the prompt, the record), and publishing the same date again does
not mail anyone a second time — over a real SMTP server, real SQLite and the real CLI."""

from __future__ import annotations

from pathlib import Path

from bot.publishing.unpublish import unpublish
from bot.store.unpublish import list_unpublished
from tests.support.delivery import run_bot
from tests.support.smtp_outbox import MailRig
from tests.support.store import make_entry, make_issue

NCNN = make_entry("ncnn 推理加速三倍", url="https://example.org/ncnn", summary="ncnn 新版本")
ISSUE = make_issue("2026-12-01", NCNN)


def received(rig: MailRig) -> list[str]:
    return sorted(r.rcpt_tos[0] for r in rig.sink.handler.received)


async def test_publishing_an_unpublished_issue_again_mails_only_who_did_not_get_it(
    mail_rig: MailRig,
) -> None:
    await mail_rig.subscriber("ann@example.org")
    await mail_rig.publish(ISSUE)
    assert await mail_rig.sender().send_due() == 1
    await mail_rig.subscriber("bob@example.org")  # too late for the first publication
    done, _ = await unpublish(mail_rig.database, "2026-12-01", by="test")
    assert done.emails == 1
    assert [u.emails for u in await list_unpublished(mail_rig.database.reader)] == [1]
    published = await mail_rig.publish(ISSUE)
    assert published.mails == 1
    await mail_rig.sender().send_due()
    assert received(mail_rig) == ["ann@example.org", "bob@example.org"]  # ann once
    # Withdrawn and published a second time: still nobody mailed twice.
    done, _ = await unpublish(mail_rig.database, "2026-12-01", by="test")
    assert done.emails == 1  # bob's, of the second publication
    assert (await mail_rig.publish(ISSUE)).mails == 0
    assert await mail_rig.sender().send_due() == 0
    assert received(mail_rig) == ["ann@example.org", "bob@example.org"]


async def test_unpublish_says_the_mails_sent_cannot_be_withdrawn(
    mail_rig: MailRig, db_path: Path
) -> None:
    await mail_rig.subscriber("ann@example.org")
    await mail_rig.subscriber("bob@example.org")
    await mail_rig.publish(ISSUE)
    await mail_rig.sender().send_due()
    env = {"BOT_DB": str(db_path), "BOT_TOKEN": "", "BOT_SMTP_URL": ""}
    code, out, err = await run_bot(env, "unpublish", "2026-12-01")  # no terminal: asks, fails
    assert code == 2, err
    assert "2 e-mails sent cannot be withdrawn" in out
    code, out, err = await run_bot(env, "unpublish", "2026-12-01", "--yes", "--by", "ops")
    assert code == 0, err
    assert "2 e-mails already sent stay sent" in out
    code, out, err = await run_bot(env, "stats")
    assert code == 0, err
    assert "2026-12-01 (0 to delete, 0 to edit, 2 e-mailed before, by ops)" in out
