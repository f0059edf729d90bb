"""Console transcripts for the docs, generated from real runs by cog.

Every ```console block in README.md and docs/*.md between ``[[[cog`` and ``[[[end]]]``
markers is the output of a real ``bot …`` run made by this module. ``make docs``
regenerates them (``cog -r``); ``make lint`` runs ``cog --check`` and fails when one is
stale. Use it from a cog block (cog runs with ``-I docs``)::

    import _cog
    _cog.help("bot db backup")
    with _cog.Session() as s:
        s.run("bot lint seeds/2021-01-05.md", status=True)
    s.print()

Runs are reproducible: each :class:`Session` works in a fresh temporary folder (its
working directory, so no ``.env`` is read) with ``seeds/`` linked in, every ``BOT_*``
variable of the caller's environment removed, ``BOT_DB`` pointing into that folder and
``COLUMNS=80``. What varies between runs is normalized in the printed text: ports
(``127.0.0.1:PORT``), temporary paths (``/tmp/…``), ISO clock times, durations, pids;
``run(..., replace=[(pattern, replacement)])`` adds more for one command.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # cog runs from the project's .venv
TOKEN = "123456:TEST-token"
TIMEOUT_S = 120

# (pattern, replacement), applied to commands and output in this order.
NORMALIZE: list[tuple[str, str]] = [
    (r"(127\.0\.0\.1|localhost):\d{2,5}", r"\1:PORT"),
    (re.escape(tempfile.gettempdir()) + r"/[^/\s]+", "/tmp/…"),
    (r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?", "YYYY-MM-DDThh:mm:ssZ"),
    (r"\b\d+\.\d+ s\b", "N.N s"),
    (r"\b\d+\.\d+/s\b", "N.N/s"),
    (r"\bpid \d+", "pid N"),
    (r"\bpid=\d+", "pid=N"),
    (r"\bhost=\S+", "host=HOST"),
    (r" on \S+, running since [^)]*\)", " on HOST, running since …)"),
]


def normalize(text: str, extra: Iterable[tuple[str, str]] = ()) -> str:
    for pattern, replacement in [*NORMALIZE, *extra]:
        text = re.sub(pattern, replacement, text)
    return text


def excerpt(text: str, keep: Sequence[tuple[str | None, str | None]]) -> str:
    """Keep only the parts of ``text`` between regex marks, joined by ``…`` lines.

    Each ``(start, stop)`` keeps the lines from the first line matching ``start``
    (``None``: the first line), searched after the previous part, up to, not including,
    the next line matching ``stop``
    (``None``: the end). A mark that matches nothing raises, so a changed output fails
    loudly instead of printing a wrong excerpt.
    """
    lines = text.splitlines()
    parts: list[list[str]] = []
    end = 0
    for start, stop in keep:
        begin = 0 if start is None else _find(lines, start, end)
        end = len(lines) if stop is None else _find(lines, stop, begin + 1)
        parts.append(lines[begin:end])
    out: list[str] = []
    for i, part in enumerate(parts):
        if i or (keep[0][0] is not None):
            out.append("…")
        out.extend(part)
    if keep[-1][1] is not None:
        out.append("…")
    return "\n".join(out)


def _find(lines: list[str], pattern: str, begin: int) -> int:
    for i in range(begin, len(lines)):
        if re.search(pattern, lines[i]):
            return i
    raise ValueError(f"docs/_cog.py: no line matches {pattern!r} in the output")


class Session:
    """A temporary working folder, database and environment for a series of commands."""

    def __init__(self, **env: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="digest-bot-docs-"))
        (self.dir / "seeds").symlink_to(ROOT / "seeds")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
        self.env.update(
            PATH=f"{BIN}{os.pathsep}{self.env.get('PATH', '')}",
            BOT_DB=str(self.dir / "bot.sqlite3"),
            DOCS=str(ROOT / "docs"),  # docs/examples/*.md are issues made for the docs
            COLUMNS="80",
            NO_COLOR="1",
            TERM="dumb",
            TZ="UTC",
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONUNBUFFERED="1",
            PYTHONHASHSEED="0",  # set and dict orders repeat from run to run
        )
        self.env.update(env)
        self.blocks: list[str] = []
        self.drop: str | None = None
        self.processes: list[subprocess.Popen[str]] = []

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for proc in self.processes:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name: str, text: str) -> Path:
        """Create a file in the session's folder (an issue to publish, say)."""
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def run(
        self,
        command: str,
        *,
        status: bool = False,
        keep: Sequence[tuple[str | None, str | None]] | None = None,
        show: bool = True,
        replace: Iterable[tuple[str, str]] = (),
        expect: int | None = None,
    ) -> str:
        """Run ``command`` with bash in the session; record ``$ command`` and its output.

        ``status``: also show ``echo $?``. ``keep``: show an :func:`excerpt`. ``show``:
        False runs it without recording. ``replace``: extra normalizations.
        ``expect``: fail generation unless it exits with this status.
        """
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=self.dir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # interleaved as a terminal shows them
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        if expect is not None and proc.returncode != expect:
            raise RuntimeError(
                f"docs/_cog.py: {command!r} exited {proc.returncode}, not {expect}:\n{proc.stdout}"
            )
        output = proc.stdout.rstrip("\n")
        if keep is not None:
            output = excerpt(output, keep)
        if show:
            block = f"$ {command}" + (f"\n{output}" if output else "")
            if status:
                block += f"\n$ echo $?\n{proc.returncode}"
            self.blocks.append(normalize(block, replace))
        return proc.stdout

    def start(
        self,
        command: str,
        ready: str,
        *,
        show: bool = True,
        replace: Iterable[tuple[str, str]] = (),
        drop: str | None = None,
    ) -> str:
        """Start a background process (``bot emulator``); wait for ``ready`` on stderr.

        Returns the first regex group of ``ready``. It is stopped when the session ends,
        or by :meth:`stop`. ``drop``: leave out lines matching this regex, here and in
        :meth:`stop` (log lines of other threads whose order varies from run to run).
        """
        self.drop = drop
        proc = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=self.dir,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.processes.append(proc)
        assert proc.stderr is not None
        lines: list[str] = []
        deadline = time.monotonic() + 120  # bot run can take long on a loaded machine
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            found = re.search(ready, line)
            if not (drop and re.search(drop, line)):
                lines.append(line.rstrip("\n"))
            if found:
                if show:
                    block = f"$ {command} &\n" + "\n".join(lines)
                    self.blocks.append(normalize(block, replace))
                return found.group(1) if found.groups() else ""
        raise RuntimeError(f"docs/_cog.py: {command!r} never printed {ready!r}: {lines}")

    def stop(self, shown_as: str = "kill %1", replace: Iterable[tuple[str, str]] = ()) -> None:
        """SIGTERM the last started process; record ``$ kill %1`` and what it printed."""
        proc = self.processes.pop()
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        kept = [line for line in err.splitlines() if not (self.drop and re.search(self.drop, line))]
        self.blocks.append(normalize("\n".join([f"$ {shown_as}", *kept]), replace))

    def print(self, out: Callable[[str], Any] | None = None) -> None:
        """Emit the recorded commands as one ```console block (through cog.outl)."""
        emit = out or _cog_out
        emit("```console")
        for block in self.blocks:
            emit(block)
        emit("```")
        self.blocks.clear()


def _cog_out(text: str) -> None:
    import cog  # type: ignore[import-not-found]  # only present when cog runs this module

    cog.outl(text)


def usage_of(command: str) -> None:
    """One ```console block with ``command --help`` (``bot db backup`` → its --help)."""
    with Session() as s:
        s.run(f"{command} --help", expect=0)
        s.print()


def usages(*commands: str) -> None:
    """``--help`` of several commands in one block."""
    with Session() as s:
        for command in commands:
            s.run(f"{command} --help", expect=0)
        s.print()


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1 (normalize it with ``replace``)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(url: str, body: str) -> str:
    """POST JSON to the emulator's control API (used to set up a session)."""
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode())


def add_readers(db: str, readers: Sequence[tuple[int, str, str, Sequence[str]]]) -> None:
    """Subscribe chats ``(id, type, title, topics)`` in the database directly, as if each
    had sent /start (and /topic): the maintainer's transcripts need readers but no
    Telegram. Everything else in the transcripts is a real ``bot`` command."""
    sys.path.insert(0, str(ROOT))
    from bot.store.chats import upsert_chat
    from bot.store.db import open_db, transaction
    from bot.store.topics import add_topics

    async def go() -> None:
        async with open_db(db) as conn, transaction(conn):
            for chat_id, type_, title, topics in readers:
                await upsert_chat(conn, chat_id, type_, title, "zh")  # type: ignore[arg-type]
                if topics:
                    await add_topics(conn, chat_id, topics)

    asyncio.run(go())


class Chat:
    """A user of the emulator talking to a running ``bot run``, shown as a text session.

    ``say("/search 量化")`` sends the update and records ``> /search 量化`` followed by
    every message the bot sent back (plain text, indented, with its buttons).
    """

    def __init__(self, base: str, chat_id: int, note: str = "", user_id: int | None = None) -> None:
        self.base, self.chat_id, self.note, self.user_id = base, chat_id, note, user_id
        self.lines: list[str] = []
        self.seen = 0

    def say(self, text: str, *, note: str = "", replies: int = 1, wait_s: float = 20.0) -> None:
        """Send ``text`` and record the ``replies`` messages the bot answers with."""
        import json

        update: dict[str, Any] = {"chat_id": self.chat_id, "text": text}
        if self.user_id is not None:
            update["user_id"] = self.user_id
        post(f"{self.base}/_emu/updates", json.dumps(update))
        note = note or self.note
        self.lines.append(f"> {text}" + (f"    ({note})" if note else ""))
        deadline = time.monotonic() + wait_s
        url = f"{self.base}/_emu/messages?chat_id={self.chat_id}&since={self.seen}"
        fresh: list[dict[str, Any]] = []
        while len(fresh) < replies:
            if time.monotonic() > deadline:
                raise RuntimeError(f"docs/_cog.py: {text!r} got {len(fresh)} of {replies} replies")
            time.sleep(0.05)
            with urllib.request.urlopen(url, timeout=10) as response:
                fresh = json.loads(response.read().decode())
        time.sleep(0.3)  # a reply more than expected would show up here, and fail the check
        with urllib.request.urlopen(url, timeout=10) as response:
            fresh = json.loads(response.read().decode())
        for message in fresh:
            self.seen = max(self.seen, int(message["message_id"]))
            plain = str(message["plain"]).splitlines()
            self.lines.extend(("  " + line).rstrip() for line in plain)
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            buttons = [b["text"] for row in rows for b in row]
            if buttons:
                self.lines.append("  buttons: " + " | ".join(buttons))

    def print(self) -> None:
        _cog_out("```text")
        for line in self.lines:
            _cog_out(line)
        _cog_out("```")
        self.lines.clear()
