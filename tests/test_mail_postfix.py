"""A real MTA round trip: `bot email add` sends its confirmation mail through Debian's
postfix (a private loopback-only instance), whose transport routes the test domain to a
server that refuses the recipient with 550; postfix writes a real RFC 3464 DSN to our VERP
envelope sender, relays it to `bot run`'s BOT_BOUNCE_LISTEN, and the subscriber ends up
suppressed with postfix's reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.postfix import Postfix
from tests.support.run import DaemonProcess, bot_command, clean_env, free_port
from tests.support.smtp import Sink

pytestmark = [pytest.mark.slow, pytest.mark.postfix]
REFUSAL = "550 5.1.1 <ann@gone.example.net>: Recipient address rejected: User unknown"


def test_postfix_dsn_for_a_refused_recipient_suppresses_the_subscriber(
    tmp_path: Path, postfix_root: Path, smtp_sink: Sink
) -> None:
    smtp_sink.handler.refuse_rcpt["ann@gone.example.net"] = [REFUSAL] * 5
    bounce_port, web_port = free_port(), free_port()
    postfix = Postfix(
        postfix_root,
        free_port(),
        {
            "gone.example.net": f"127.0.0.1:{smtp_sink.port}",
            "example.org": f"127.0.0.1:{bounce_port}",
        },
    )
    env = clean_env(
        BOT_DB=str(tmp_path / "bot.sqlite3"),
        BOT_SMTP_URL=f"smtp://127.0.0.1:{postfix.port}?starttls=0&timeout=10",
        BOT_SECRET_KEY="a-postfix-round-trip-secret-key-01",
        BOT_PUBLIC_URL=f"http://127.0.0.1:{web_port}",
        BOT_LISTEN=f"127.0.0.1:{web_port}",
        BOT_BOUNCE_LISTEN=f"127.0.0.1:{bounce_port}",
        BOT_MAIL_FROM="嵌入式AI简报 <digest@example.org>",
    )
    assert bot_command(tmp_path, env, "db", "init").returncode == 0
    daemon: DaemonProcess | None = None
    try:
        postfix.start()  # inside: a half-started instance is stopped too
        daemon = DaemonProcess("postfix-roundtrip", tmp_path, env)
        daemon.wait_log("run.started")
        added = bot_command(
            tmp_path, env, "email", "add", "ann@gone.example.net", "--topic", "量化"
        )
        assert added.returncode == 0, added.stderr  # postfix accepted the confirmation mail
        try:
            recorded = daemon.wait_log("event=bounce.recorded", within=60)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; postfix said:\n{postfix.logs()}") from None
        assert "kind=hard" in recorded and "status=5.1.1" in recorded
        assert "effect=suppressed" in recorded
    finally:
        if daemon is not None:
            daemon.stop()
        postfix.stop()
    assert smtp_sink.handler.received == []  # refused at RCPT: nothing delivered
    assert "dsn=5.1.1, status=bounced" in postfix.logs()  # postfix itself bounced it
    listed = bot_command(tmp_path, env, "email", "list", "--format", "json")
    (ann,) = json.loads(listed.stdout)
    assert ann["address"] == "ann@gone.example.net" and ann["status"] == "bounced"
    assert "5.1.1" in ann["reason"] and "User unknown" in ann["reason"]
