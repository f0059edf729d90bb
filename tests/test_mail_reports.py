"""`bot stats` and `bot deliveries` cover e-mail: subscribers per status, mails per issue,
the address and the mail server's answer of each open row; --retry leaves bounces alone;
`bot publish` says how many digest mails it queued."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.delivery import run_bot
from tests.support.smtp_outbox import MailRig
from tests.support.store import make_entry, make_issue

ISSUE = make_issue("2026-12-03", make_entry("ncnn 推理", url="https://example.org/n"))


@pytest.mark.slow
async def test_stats_and_deliveries_show_the_email_channel(
    mail_rig: MailRig, db_path: Path
) -> None:
    for name in ("ann", "bob", "cat"):
        await mail_rig.subscriber(f"{name}@example.org")
    refuse = mail_rig.sink.handler.refuse_rcpt
    refuse["bob@example.org"] = ["550 5.1.1 no such user"]
    refuse["cat@example.org"] = ["451 4.7.1 greylisted"]
    await mail_rig.publish(ISSUE)
    await mail_rig.sender().send_due()
    env = {"BOT_DB": str(db_path)}
    code, out, err = await run_bot(env, "stats")
    assert code == 0, err
    assert "E-mail subscribers: 2 confirmed" in out and "1 bounced" in out
    assert "2026-12-03: e-mail 1 / 1 / 1 / 0" in out
    assert "e-mail: 550 5.1.1 no such user" in out

    code, out, err = await run_bot(env, "deliveries")
    assert code == 0, err
    assert "2 pending or failed deliveries" in out
    lines = out.splitlines()
    assert any("e-mail → cat@example.org [pending send" in x and "451 4.7.1" in x for x in lines)
    assert any("e-mail → bob@example.org [failed send" in x and "550 5.1.1" in x for x in lines)

    code, out, _ = await run_bot(env, "deliveries", "--retry")
    assert code == 0 and out.startswith("0 failed deliveries requeued")

    path = db_path.parent / "2026-12-04.md"
    path.write_text(
        "# 嵌入式AI简报 (2026-12-04)\n\n## 论文\n\n- [ncnn 新版 | 优图](https://b.example/n)\n",
        encoding="utf-8",
    )
    code, out, err = await run_bot(env, "publish", str(path))
    assert code == 0, err
    assert "E-mail: 2 digest mails queued" in out  # ann and cat; bob bounced
