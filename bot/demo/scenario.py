"""The demo's story: readers join through real updates, a draft issue is published through
the scheduler, the real daemon delivers it, and we look at what each chat received.

Everything is local: the emulator runs in this process on a free loopback port, the
daemon is the one `bot run` starts (polling, scheduler, sender), the database is a
temporary file unless ``--db`` names one.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.config import Settings
from bot.demo.mail_reader import DORA, join, mailbox_block
from bot.demo.mailbox import Mailbox
from bot.demo.serve import serve_until_interrupted
from bot.demo.show import chat_block, excerpt, indent, pad
from bot.digest.lint import lint_issue
from bot.digest.parse import parse_issue
from bot.emulator.config import EmulatorConfig
from bot.emulator.server import Emulator
from bot.issuefile import read_issue_text
from bot.run.daemon import Daemon
from bot.run.lease import held_lease
from bot.run.options import RunOptions
from bot.store.base import to_stamp
from bot.store.database import Database, open_database
from bot.store.outbox import count_by_status
from bot.store.scheduled import add_scheduled, get_scheduled

DEMO_TOKEN = "123456:DEMO-token-no-network"
DEMO_SECRET = "demo-signing-key-not-a-secret"  # signs the demo's links; printed in the source
WAIT = 30.0


@dataclass(frozen=True, slots=True)
class Reader:
    chat_id: int
    kind: str  # private | group
    title: str
    commands: tuple[str, ...]
    user_id: int | None = None  # who types (a group's admin)

    def label(self) -> str:
        topics = [c.split(maxsplit=1)[1] for c in self.commands if c.startswith("/topic ")]
        what = f"topics: {', '.join(topics)}" if topics else "no topics"
        return f"{self.title} ({self.kind}, {what})"


READERS = (
    Reader(1001, "private", "Alice", ("/start",)),
    Reader(1002, "private", "Bob", ("/start", "/topic 量化")),
    Reader(1003, "private", "Carol", ("/start", "/topic NCNN")),
    Reader(-1004, "group", "嵌入式AI读书会", ("/start",), user_id=2001),
)
SEARCH = (1001, "/search 量化")


class DemoError(Exception):
    """The demo could not complete (one sentence)."""


async def _until(cond: Callable[[], Any], what: str, within: float = WAIT) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = await cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.1)


class Control:
    """The emulator's control API, the way a test or a person would script it."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base = f"{base_url}/_emu"
        self.session = session

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.session.request(method, f"{self.base}/{path}", **kwargs) as resp:
            body = await resp.json()
            if resp.status != 200:
                raise DemoError(f"the emulator refused {path}: {body}")
            return body

    async def messages(self, chat_id: int) -> list[dict[str, Any]]:
        return list(await self.call("GET", "messages", params={"chat_id": chat_id}))

    async def say(self, chat_id: int, text: str, user_id: int | None) -> list[dict[str, Any]]:
        """A user sends ``text``; returns the chat's messages once the bot has answered."""
        before = len(await self.messages(chat_id))
        body: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if user_id is not None:
            body["user_id"] = user_id
        await self.call("POST", "updates", json=body)

        async def answered() -> list[dict[str, Any]] | None:
            found = await self.messages(chat_id)
            return found if len(found) > before else None

        return list(await _until(answered, f"the bot's answer to {text!r}"))


def _print(line: str = "") -> None:
    print(line, flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Parts:
    """What the story talks to: the emulator, the site and the mailbox, over the network."""

    control: Control
    settings: Settings
    db: Database
    http: aiohttp.ClientSession
    mailbox: Mailbox


async def run_demo(db_path: Path, seed: Path, *, serve: bool = False) -> None:
    text = read_issue_text(seed)
    issue = parse_issue(text, filename=seed.name)
    findings = lint_issue(issue, text)
    site = f"127.0.0.1:{_free_port()}"
    # Built, not read: the demo must not pick up (or trip over) the operator's BOT_* settings.
    settings = Settings.model_construct(
        token=SecretStr(DEMO_TOKEN),
        api_base="http://127.0.0.1:1",
        db=db_path,
        tz="Asia/Shanghai",
        log_level="ERROR",
        public_url=f"http://{site}",
        listen=site,
        mail_from="嵌入式AI简报 <digest@example.org>",
        mail_rate=10.0,
        secret_key=SecretStr(DEMO_SECRET),
    )
    stop = asyncio.Event()
    mailbox = Mailbox()
    async with Emulator(EmulatorConfig()) as emu, aiohttp.ClientSession() as http:
        smtp_url = await mailbox.start()
        settings = settings.model_copy(
            update={"api_base": emu.base_url, "smtp_url": SecretStr(smtp_url)}
        )
        _print(f"Telegram Bot API emulator on {emu.base_url} (in this process); database {db_path}")
        _print(f"Mail: an SMTP server on {smtp_url} holds the readers' mailboxes (in this process)")
        async with (
            open_database(db_path) as db,
            held_lease(db, standby=False, stop=stop) as lease,
        ):
            assert lease is not None
            options = RunOptions(poll_seconds=0.5, drain_seconds=1.0, listen=site)
            daemon = Daemon(settings, options, db)
            running = asyncio.create_task(daemon.run(stop, lease))
            try:
                await _until(daemon.ready.wait, "bot run to start")
                _print("bot run is up: polling the emulator, scheduler and sender started.")
                _print(f"The public site: {settings.public_url}/ (served by bot run)\n")
                parts = Parts(Control(emu.base_url, http), settings, db, http, mailbox)
                await _story(parts, seed, text, findings)
                if serve:
                    await serve_until_interrupted(settings, emu.base_url, mailbox)
            finally:
                stop.set()
                await running
                await mailbox.close()


async def _story(parts: Parts, seed: Path, text: str, findings: list[Any]) -> None:
    control, settings = parts.control, parts.settings
    _print("1. Readers join — real updates sent through the emulator:")
    for reader in READERS:
        await control.call(
            "POST",
            "chats",
            json={
                "id": reader.chat_id,
                "type": reader.kind,
                "language_code": "zh",
                **(
                    {"title": reader.title, "admins": [reader.user_id]}
                    if reader.kind == "group"
                    else {"username": reader.title.lower()}
                ),
            },
        )
        for command in reader.commands:
            await control.say(reader.chat_id, command, reader.user_id)
        _print(f"   {pad(reader.label(), 34)} sent {', '.join(reader.commands)}")
    _print(f"   {DORA.label()}, by e-mail on the site:")
    joined = await join(
        DORA, db=parts.db, settings=settings, http=parts.http, mailbox=parts.mailbox
    )
    for line in joined:
        _print(f"     {line}")

    errors = sum(1 for f in findings if f.severity == "error")
    if errors:
        _print(f"\n2. Publishing {seed.name}. It is still a draft — lint says:")
    else:
        _print(f"\n2. Publishing {seed.name}. Lint finds no errors" + (":" if findings else "."))
    for f in findings:
        _print(f"     line {f.line}: {f.severity} {f.code}: {f.message}")
    if errors:
        _print(
            f"   {errors} error(s): `bot publish` would refuse it. The demo publishes it"
            " anyway (as `bot publish --force` does),"
        )
    _print("   scheduled for now, so the daemon's scheduler fires it and its sender delivers.")
    started = time.monotonic()
    # Like `bot publish --at` from another process: a Database of its own.
    async with open_database(settings.db) as cli:
        conn = cli.reader
        id_ = await cli.write(
            lambda c: add_scheduled(
                c,
                file_name=seed.name,
                content=text,
                force=True,
                due_at=to_stamp(datetime.now(UTC)),
            )
        )

        async def delivered() -> dict[str, int] | None:
            row = await get_scheduled(conn, id_)
            if row is None or row.status in ("failed", "missed"):
                raise DemoError(f"the publish did not happen: {row.detail if row else 'gone'}")
            counts = await count_by_status(conn)
            done = row.status == "done" and counts["pending"] + counts["sending"] == 0
            return counts if done else None

        counts = await _until(delivered, "the deliveries")
        row = await get_scheduled(conn, id_)
    assert row is not None
    _print(f"   → {row.detail}")
    _print(
        f"   → delivered in {time.monotonic() - started:.1f} s: {counts['sent']} sent,"
        f" {counts['failed']} failed (Telegram's flood limits respected).\n"
    )

    chat_id, query = SEARCH
    answer = await control.say(chat_id, query, None)
    _print("3. What each reader received, as they see it:\n")
    for reader in READERS:
        messages = await control.messages(reader.chat_id)
        if reader.chat_id == chat_id:
            messages = messages[:-1]  # the search answer is shown below
        _print(chat_block(reader.label(), messages))
        _print()
    _print(await mailbox_block(parts.mailbox))
    _print()
    _print(f"4. Alice asks: {query}\n")
    _print(indent(excerpt(str(answer[-1].get("plain") or ""), max_lines=24, max_chars=2000)))
    _print("\nDone. Run it for real: set BOT_TOKEN and `bot run` (see README and deploy/).")
