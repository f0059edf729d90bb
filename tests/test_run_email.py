"""`bot run` without BOT_TOKEN: an e-mail-only deployment as a real subprocess — the site
and /healthz on BOT_LISTEN, the bounce receiver on BOT_BOUNCE_LISTEN turning a DSN into a
suppression, the IMAP mailbox read and emptied of what was recorded, no aiogram import,
no secret in the log, and a clean SIGTERM stop."""

from __future__ import annotations

import json
import re
import smtplib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.mail.tokens import Tokens
from tests.support.bounces import complaint, dsn
from tests.support.imap import ImapServer
from tests.support.run import DaemonProcess, bot_command, clean_env, free_port, http, wait_until

SECRET = "an-e-mail-only-secret-key-0123456789"
SMTP_PASSWORD = "smtp-pw-secret-7"
TOKENS = Tokens(SecretStr(SECRET))


def email_only_env(tmp_path: Path, web_port: int, bounce_port: int, **extra: str) -> dict[str, str]:
    """An e-mail-only deployment (no BOT_TOKEN): the site on WEB_PORT, bounces on BOUNCE_PORT."""
    return clean_env(
        BOT_DB=str(tmp_path / "bot.sqlite3"),
        BOT_SMTP_URL=f"smtp://digest:{SMTP_PASSWORD}@127.0.0.1:{free_port()}",
        BOT_SECRET_KEY=SECRET,
        BOT_PUBLIC_URL=f"http://127.0.0.1:{web_port}",
        BOT_LISTEN=f"127.0.0.1:{web_port}",
        BOT_BOUNCE_LISTEN=f"127.0.0.1:{bounce_port}",
        **extra,
    )


@pytest.fixture
def mailbox() -> Iterator[ImapServer]:
    from tests.support.imap import Mailbox

    server = ImapServer(Mailbox())
    yield server
    server.close()


@pytest.mark.slow  # a `bot run` subprocess
def test_email_only_run_serves_site_and_turns_bounces_into_suppressions(
    tmp_path: Path, mailbox: ImapServer
) -> None:
    web_port, bounce_port = free_port(), free_port()
    env = email_only_env(
        tmp_path,
        web_port,
        bounce_port,
        BOT_BOUNCE_IMAP_URL=mailbox.url(),
        BOT_MAIL_FROM="嵌入式AI简报 <digest@example.org>",
    )
    assert bot_command(tmp_path, env, "db", "init").returncode == 0
    for address in ("ann@example.com", "bob@example.com", "cy@example.com"):
        added = bot_command(
            tmp_path, env, "email", "add", address, "--confirmed", "--source", "test"
        )
        assert added.returncode == 0, added.stderr
    # ids follow the order of adding: ann 1, bob 2, cy 3
    _, bob_report = dsn(TOKENS, 2, "bob@example.com", status="5.2.1")
    mailbox.box.add(bob_report)
    _, cy_report = complaint(TOKENS, 3, "cy@example.com")
    mailbox.box.add(cy_report, flags=("\\Seen",))  # read by a person: left alone
    mailbox.box.add(b"From: someone@example.net\r\nSubject: out of office\r\n\r\nback soon\r\n")

    daemon = DaemonProcess("email-only", tmp_path, {**env, "PYTHONPROFILEIMPORTTIME": "1"})
    try:
        started = daemon.wait_log("run.started")
        assert "mode=email" in started
        status, health = http("GET", f"http://127.0.0.1:{web_port}/healthz")
        assert status == 200 and health["ok"] and health["mode"] == "email"

        verp, ann_report = dsn(TOKENS, 1, "ann@example.com", status="5.1.1")
        with smtplib.SMTP("127.0.0.1", bounce_port, timeout=10) as smtp:
            code, _ = smtp.ehlo("mx.example.net")
            assert code == 250
            refused = smtp.docmd("MAIL", "FROM:<>")
            assert refused[0] == 250
            assert smtp.docmd("RCPT", "TO:<postmaster@example.org>")[0] == 550  # no relay
            assert smtp.docmd("RCPT", f"TO:<{verp}>")[0] == 250
            assert smtp.data(ann_report)[0] == 250  # only after the record committed
        daemon.wait_log("via=smtp kind=hard")
        # The IMAP poll at start recorded bob's bounce, then deleted the message.
        daemon.wait_log("via=imap kind=hard")
        wait_until(lambda: len(mailbox.box.messages) == 2, 20, "the recorded report expunged")
        flags = sorted(sorted(f) for f, _ in mailbox.box.messages.values())
        assert flags == [["\\Seen"], ["\\Seen"]]  # the complaint a person read; the reply
    finally:
        code = daemon.stop()
    log = daemon.text()
    assert code == 0, log
    assert "run.stopped" in log
    # e-mail only: aiogram is never imported (-X importtime lists every module loaded)
    assert "import time:" in log and not re.search(r"\|\s+aiogram\b", log)
    for secret in (SECRET, SMTP_PASSWORD, mailbox.box.password):
        assert secret not in log

    listed = bot_command(tmp_path, env, "email", "list", "--format", "json")
    by_address = {r["address"]: r for r in json.loads(listed.stdout)}
    assert by_address["ann@example.com"]["status"] == "bounced"
    assert "5.1.1" in by_address["ann@example.com"]["reason"]
    assert by_address["bob@example.com"]["status"] == "bounced"
    assert by_address["cy@example.com"]["status"] == "confirmed"
    shown = bot_command(tmp_path, env, "email", "bounces")
    assert "ann@example.com  hard 5.1.1  suppressed  via smtp" in shown.stdout
    assert "bob@example.com  hard 5.2.1  suppressed  via imap" in shown.stdout


@pytest.mark.slow  # a `bot run` subprocess
def test_bounce_port_in_use_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    web_port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = email_only_env(tmp_path, web_port, port)
        out = bot_command(tmp_path, env, "run", "--init")
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert lines[-1].startswith(f"Error: cannot listen for bounces on 127.0.0.1:{port}")
    assert "Traceback" not in out.stderr and SMTP_PASSWORD not in out.stderr
