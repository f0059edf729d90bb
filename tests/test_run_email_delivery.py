"""`bot run` mails the digest, end to end over real protocols: an e-mail-only daemon as a
subprocess, a real SMTP server (aiosmtpd) receiving what it sends. A reader signs up on
the site's form, confirms from the link of the confirmation mail, `bot publish` queues
the issue and the daemon's e-mail sender delivers it with its list headers; the RFC 8058
one-click POST unsubscribes, and the next issue is not mailed to them."""

from __future__ import annotations

import re
import shutil
import urllib.parse
import urllib.request
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.run import DaemonProcess, bot_command, clean_env, free_port, wait_until
from tests.support.smtp import Sink, smtp_sink, text_part

__all__ = ["smtp_sink"]
SEED = Path(__file__).resolve().parents[1] / "seeds" / "2021-01-05.md"
SECRET = "run-email-delivery-secret-0123456789"
READER = "reader@example.com"
OTHER = "other@example.com"


def fetch(url: str, form: list[tuple[str, str]] | None = None) -> tuple[int, str]:
    data = None if form is None else urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field"
    return found.group(1)


def mails_to(sink: Sink, address: str) -> list[EmailMessage]:
    return [
        message_from_bytes(r.data, policy=policy.default)  # type: ignore[misc]
        for r in sink.handler.received
        if address in r.rcpt_tos
    ]


def later_issue(tmp_path: Path) -> Path:
    """The seed issue published under a later date: a second issue."""
    text = SEED.read_text(encoding="utf-8").replace("2021-01-05", "2021-01-19")
    path = tmp_path / "2021-01-19.md"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow  # a `bot run` subprocess
def test_signed_up_reader_gets_the_digest_from_bot_run_and_leaves_in_one_click(
    tmp_path: Path, smtp_sink: Sink
) -> None:
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = clean_env(
        BOT_DB=str(tmp_path / "bot.sqlite3"),
        BOT_SMTP_URL=smtp_sink.url(),
        BOT_SECRET_KEY=SECRET,
        BOT_PUBLIC_URL=site,
        BOT_LISTEN=f"127.0.0.1:{port}",
        BOT_MAIL_FROM="嵌入式AI简报 <digest@example.org>",
    )
    shutil.copy(SEED, tmp_path / SEED.name)
    assert bot_command(tmp_path, env, "db", "init").returncode == 0
    daemon = DaemonProcess("email-delivery", tmp_path, env)
    try:
        daemon.wait_log("run.started")
        status, form = fetch(f"{site}/subscribe")
        assert status == 200
        status, _ = fetch(
            f"{site}/subscribe",
            [("form_token", field(form, "form_token")), ("email", READER), ("lang", "zh")],
        )
        assert status == 200
        wait_until(lambda: mails_to(smtp_sink, READER), 20, "the confirmation mail")
        link = re.search(r"https?://\S+/confirm/\S+", text_part(smtp_sink.handler.received[0].data))
        assert link, "no confirmation link"
        status, _ = fetch(link.group(0))  # a scanner following the link confirms nobody
        assert status == 200
        status, _ = fetch(link.group(0), [("confirm", "1")])
        assert status == 200

        published = bot_command(tmp_path, env, "publish", "--force", SEED.name)
        assert published.returncode == 0, published.stderr
        digests = wait_until(
            lambda: [m for m in mails_to(smtp_sink, READER) if "2021-01-05" in m["Subject"]],
            30,
            "the digest mail",
        )
        digest = digests[0]
        assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = re.search(r"<(https?://[^>]+/unsubscribe/[^>]+)>", digest["List-Unsubscribe"])
        assert unsubscribe and "mailto:" in digest["List-Unsubscribe"]
        assert digest["Message-ID"] and digest["List-Id"]
        assert "2021-01-05" in text_part(bytes(digest))

        status, _ = fetch(unsubscribe.group(1), [("List-Unsubscribe", "One-Click")])
        assert status == 200
        # Another reader still subscribed: their copy of the next issue shows the daemon
        # mailed it, so the unsubscribed reader's missing copy is not a matter of timing.
        added = bot_command(tmp_path, env, "email", "add", OTHER, "--confirmed", "--source", "test")
        assert added.returncode == 0, added.stderr
        published = bot_command(tmp_path, env, "publish", "--force", str(later_issue(tmp_path)))
        assert published.returncode == 0, published.stderr
        wait_until(
            lambda: [m for m in mails_to(smtp_sink, OTHER) if "2021-01-19" in m["Subject"]],
            30,
            "the next issue mailed to the other reader",
        )
    finally:
        code = daemon.stop()
    assert code == 0, daemon.text()
    assert [m["Subject"] for m in mails_to(smtp_sink, READER) if "2021-01-19" in m["Subject"]] == []
    assert len(mails_to(smtp_sink, READER)) == 2  # the confirmation and one digest
    assert SECRET not in daemon.text()
