"""Structured logging: one line per event, both formats, and the token never written."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bot.logs import REDACTED, event, redact, setup_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def test_kv_lines_carry_event_and_fields(restore_root: None) -> None:
    out = io.StringIO()
    setup_logging("INFO", "kv", stream=out)
    event(
        logging.getLogger("bot.run"),
        "delivery.summary",
        issue="2021-01-05",
        sent=3,
        failed=0,
        note="two words",
    )
    line = out.getvalue().strip()
    assert "\n" not in line
    assert "level=info" in line and "logger=bot.run" in line
    assert "event=delivery.summary issue=2021-01-05 sent=3 failed=0" in line
    assert 'note="two words"' in line


def test_json_lines_parse(restore_root: None) -> None:
    out = io.StringIO()
    setup_logging("DEBUG", "json", stream=out)
    event(logging.getLogger("bot.run"), "publish.fired", issue="2021-01-05", chats=4)
    logging.getLogger("aiogram").warning("plain %s message", "library")
    first, second = (json.loads(x) for x in out.getvalue().splitlines())
    assert first["event"] == "publish.fired" and first["chats"] == 4
    assert second["msg"] == "plain library message" and second["level"] == "warning"


def test_level_filters_lower_records(restore_root: None) -> None:
    out = io.StringIO()
    setup_logging("WARNING", "kv", stream=out)
    logging.getLogger("bot").info("hidden")
    assert out.getvalue() == ""


@pytest.mark.parametrize("fmt", ["kv", "json"])
def test_token_never_written(restore_root: None, fmt: str) -> None:
    out = io.StringIO()
    setup_logging("DEBUG", fmt, secrets=[TOKEN, "webhook-secret-xyz"], stream=out)  # type: ignore[arg-type]
    log = logging.getLogger("aiohttp.client")
    log.info("POST https://api.telegram.org/bot%s/getUpdates", TOKEN)
    url = f"http://127.0.0.1:8081/bot{TOKEN}/sendMessage"
    event(log, "call", url=url, secret="webhook-secret-xyz")
    try:
        raise RuntimeError(f"failed for {TOKEN}")
    except RuntimeError:
        log.exception("request failed")
    # A token the filter was not told about is still caught by its shape.
    log.info("other bot 987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
    text = out.getvalue()
    assert TOKEN not in text and "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in text
    assert "ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in text
    assert "webhook-secret-xyz" not in text
    assert text.count("<redacted>") >= 5
    assert "RuntimeError" in text
    assert len(text.strip().splitlines()) >= 4


def test_redact_hides_echoed_and_percent_encoded_tokens() -> None:
    secret = "4242:short-secret"
    echoed = f"/bot{secret}/getMe /bot4242%3Ashort-secret/getMe /bot4242%3ashort-secret/x"
    assert "short-secret" not in redact(echoed, (secret,))
    shaped = "/bot123456789%3AAAExampleSecretTokenValue_abcdefghij/getMe"
    assert "AAExample" not in redact(shaped)


def test_an_uncaught_traceback_is_printed_redacted() -> None:
    """A crash's traceback (aiogram's decode error carries the whole error page) goes
    through the same redaction as log lines."""
    script = (
        "from bot.logs import install_excepthook, register_secret\n"
        "install_excepthook()\n"
        "register_secret('4242:crash-secret')\n"
        "raise RuntimeError('Content: <html>/bot4242:crash-secret/getMe</html>')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "RuntimeError" in done.stderr and REDACTED in done.stderr
    assert "crash-secret" not in done.stderr
