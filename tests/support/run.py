"""Processes for `bot run` tests: the emulator and daemons as real subprocesses.

``EmulatorProcess`` runs `bot emulator` and speaks its control API with urllib
(no event loop needed, so module-scoped fixtures can share one). ``DaemonProcess``
runs `bot run` with a clean environment, logging to a file the test can wait on.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEST_TOKEN = "123456:TEST-token-for-daemon-tests"
ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_command(workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`bot ARGS` as a subprocess in WORKDIR with ENV, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(extra)
    return env


def http(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as err:
        raw, status = err.read(), err.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def wait_until(cond: Callable[[], Any], within: float, what: str, step: float = 0.1) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        time.sleep(step)


class EmulatorProcess:
    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "emulator", "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=clean_env(),
                cwd=log.parent,
            )
        wait_until(self._up, 30, "the emulator to listen")

    def _up(self) -> bool:
        try:
            return http("GET", f"{self.base_url}/_emu/stats", timeout=1)[0] == 200
        except OSError:
            return False

    def control(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = http(method, f"{self.base_url}/_emu/{path}", body)
        assert status == 200, f"/_emu/{path}: {status} {answer}"
        return answer

    def add_chat(self, chat_id: int, type_: str = "private", **fields: Any) -> None:
        self.control("POST", "chats", {"id": chat_id, "type": type_, **fields})

    def say(self, chat_id: int, text: str, user_id: int | None = None) -> None:
        body: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if user_id is not None:
            body["user_id"] = user_id
        self.control("POST", "updates", body)

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        return list(self.control("GET", f"messages?chat_id={chat_id}"))

    def wait_messages(self, chat_id: int, count: int, within: float = 20) -> list[dict[str, Any]]:
        return list(
            wait_until(
                lambda: (m := self.messages(chat_id)) and len(m) >= count and m,
                within,
                f"{count} messages in chat {chat_id}",
            )
        )

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class DaemonProcess:
    """`bot run ARGS` with its own log file."""

    def __init__(self, name: str, workdir: Path, env: dict[str, str], *args: str) -> None:
        self.log = workdir / f"{name}.log"
        self.started_at = time.monotonic()
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=workdir,
            )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, needle: str, within: float = 40) -> str:
        def found() -> str | None:
            text = self.text()
            if needle in text:
                return text
            if self.proc.poll() is not None:
                raise AssertionError(f"bot run exited ({self.proc.returncode}):\n{text}")
            return None

        return str(wait_until(found, within, f"{needle!r} in {self.log.name}"))

    def signal(self, sig: signal.Signals) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit status."""
        self.signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)
