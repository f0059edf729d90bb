"""`bot email test ADDRESS [FILE]` against a real SMTP server on 127.0.0.1: the digest
arrives with the outbox's headers and the subscriber's topics, the server's answer is
printed, a refusal is one sentence and exit 1, bad input exit 2, no password shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store.subscribers import suppress
from tests.support.delivery import run_bot
from tests.support.smtp import Sink, text_part
from tests.support.smtp_outbox import PUBLIC, SECRET, MailRig
from tests.support.store import make_entry, make_issue

ISSUE = """# 嵌入式AI简报 (2026-12-04)

> 导读：本次2条。

## 论文

- [低比特量化新方法 | 机器之心](https://a.example/q)
摘要：讨论 INT8 量化。

## 开源项目

- [ncnn 发布新版本 | 腾讯优图](https://b.example/n)
摘要：支持 Vulkan 推理。
"""


def env(sink: Sink, db_path: Path, userinfo: str = "") -> dict[str, str]:
    return {
        "BOT_DB": str(db_path),
        "BOT_SMTP_URL": sink.url(userinfo),
        "BOT_SECRET_KEY": SECRET,
        "BOT_PUBLIC_URL": PUBLIC,
    }


@pytest.mark.slow
async def test_email_test_sends_the_file_with_the_subscribers_topics(
    mail_rig: MailRig, db_path: Path, tmp_path: Path
) -> None:
    await mail_rig.subscriber("ann@example.org", ["ncnn"])
    path = tmp_path / "2026-12-04.md"
    path.write_text(ISSUE, encoding="utf-8")
    userinfo = "digest:s3cret%20p%40ss%3Aword@"
    code, out, err = await run_bot(
        env(mail_rig.sink, db_path, userinfo), "email", "test", "Ann@Example.org", str(path)
    )
    assert code == 0, err
    assert out.startswith("250 ") and "sent to ann@example.org" in out
    (got,) = mail_rig.sink.handler.received
    assert got.rcpt_tos == ["ann@example.org"] and got.mail_from.startswith("bounces+")
    text = text_part(got.data)
    assert "ncnn 发布新版本" in text and "低比特量化" not in text
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in got.data
    assert "s3cret" not in out + err


@pytest.mark.slow
async def test_email_test_sends_the_latest_issue_and_reports_a_refusal(
    mail_rig: MailRig, db_path: Path
) -> None:
    await mail_rig.publish(make_issue("2026-12-05", make_entry("ncnn 三倍", url="https://x.org")))
    mail_rig.sink.handler.refuse_rcpt["bob@example.org"] = ["550 5.1.1 no such user"]
    code, out, err = await run_bot(env(mail_rig.sink, db_path), "email", "test", "bob@example.org")
    assert code == 1 and out == ""
    assert err.strip() == (
        "Error: the mail server refused the mail to bob@example.org: 550 5.1.1 no such user"
    )
    code, out, err = await run_bot(env(mail_rig.sink, db_path), "email", "test", "cat@example.org")
    assert code == 0 and "2026-12-05 sent to cat@example.org" in out
    assert "ncnn 三倍" in text_part(mail_rig.sink.handler.received[-1].data)
    # a suppressed address may still get a test, but the maintainer is told
    dan = await mail_rig.subscriber("dan@example.org")
    await mail_rig.database.write(lambda conn: suppress(conn, dan.id, "bounced", "550 gone"))
    code, out, err = await run_bot(env(mail_rig.sink, db_path), "email", "test", "dan@example.org")
    assert code == 0 and "sent to dan@example.org" in out
    assert err.strip() == (
        "note: dan@example.org is bounced (550 gone): the digest is not mailed to it"
    )


@pytest.mark.slow
async def test_email_test_refuses_bad_input_in_one_sentence(
    mail_rig: MailRig, db_path: Path
) -> None:
    code, _, err = await run_bot(env(mail_rig.sink, db_path), "email", "test", "not an address")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    code, _, err = await run_bot(env(mail_rig.sink, db_path), "email", "test", "a@example.org")
    assert code == 2 and "no issue is published yet" in err
    no_mail = {"BOT_DB": str(db_path)}
    code, _, err = await run_bot(no_mail, "email", "test", "a@example.org")
    assert code == 2 and "BOT_SMTP_URL" in err
    assert mail_rig.sink.handler.received == []
