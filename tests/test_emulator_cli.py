"""`bot emulator` as a user runs it: a standalone server, stopped with Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest
from click.testing import CliRunner

from bot.commands.emulator import emulator

BOT = [sys.executable, "-m", "bot"]


def test_help_documents_every_option() -> None:
    result = CliRunner().invoke(emulator, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--seed", "--no-limits", "BOT_API_BASE"):
        assert option in result.output


@pytest.mark.slow
def test_standalone_emulator_serves_until_interrupted() -> None:
    proc = subprocess.Popen(
        [*BOT, "emulator", "--port", "0", "--seed", "3"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        base = match.group(1)
        with urllib.request.urlopen(f"{base}/bot1:x/getMe", timeout=5) as resp:
            assert json.load(resp)["result"]["is_bot"] is True
        with urllib.request.urlopen(f"{base}/_emu/config", timeout=5) as resp:
            assert json.load(resp)["seed"] == 3
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "emulator stopped" in err and "Traceback" not in err


@pytest.mark.slow
def test_busy_port_is_one_sentence_and_exit_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [*BOT, "emulator", "--port", str(port)], capture_output=True, text=True, timeout=30
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
