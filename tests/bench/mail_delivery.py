"""E-mail benchmark: a published issue mailed to 10,000 subscribers through the outbox.

Standalone (not part of the test run): ``.venv/bin/python tests/bench/mail_delivery.py``
(``--subscribers N``, ``--rate R``, ``--baseline N``).

Creates ``--subscribers`` confirmed subscribers with mixed topics (everything, catalogue
topics, free words, exclusions) in a fresh database, publishes the seed issue through
the one publishing pipeline, and runs :class:`bot.delivery.email_sender.EmailSender`
(one SMTP pool of ``--connections`` connections, default 4, ``BOT_MAIL_RATE=--rate``)
against an aiosmtpd sink in a child process (so the sink's CPU is not the sender's).
Measures the achieved rate against the configured one, lost and duplicated mails
(every subscriber with a row must receive exactly one), the sender's CPU seconds per
1,000 mails and the renders made.

Baseline in the same run: the first ``--baseline`` of the same mails built and sent by
a naive loop — render each with ``digest_message`` (no cache) and send it with
``smtplib`` over a new connection per mail, unthrottled — to a second sink.

Prints one final JSON line; nothing here asserts.
"""

from __future__ import annotations

import os
import sys

# This file is named like the stdlib package `email`: drop its folder from the path
# (python puts it first when the file runs as a script) before anything imports email.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import smtplib  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.delivery.email_message import MailCache, Reader, digest_message, reader_topics  # noqa: E402
from bot.delivery.email_sender import EmailOptions, EmailSender  # noqa: E402
from bot.digest.parse import parse_issue  # noqa: E402
from bot.mail.mailer import Mailer  # noqa: E402
from bot.publishing.pipeline import publish_issue  # noqa: E402
from bot.store.database import open_database  # noqa: E402
from bot.store.email_outbox import pending_mail  # noqa: E402
from bot.store.entry_topics import issue_tags  # noqa: E402
from bot.store.issues import get_issue  # noqa: E402
from bot.store.subscribers import add_confirmed  # noqa: E402
from bot.store.topics import subscriber_topics  # noqa: E402

SEED = ROOT / "seeds" / "2021-01-05.md"
TOPIC_SETS: list[list[str]] = [
    [],
    [],
    ["量化"],
    ["GPU"],
    ["量化", "GPU"],
    ["ncnn"],
    ["-招聘"],
    ["芯片", "-融资"],
    ["NPU"],
    ["编译"],
]
SINK = """
import sys, time
from aiosmtpd.controller import Controller

class Handler:
    def __init__(self, out):
        self.out = out
    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            self.out.write(rcpt + "\\n")
        self.out.flush()
        return "250 2.0.0 Ok: queued"

with open(sys.argv[2], "a", encoding="utf-8") as out:
    controller = Controller(Handler(out), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    sys.stdin.readline()
    controller.stop()
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Sink:
    def __init__(self, folder: Path, name: str) -> None:
        self.port = free_port()
        self.log = folder / f"{name}.rcpt"
        self.log.touch()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SINK, str(self.port), str(self.log)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    def received(self) -> Counter[str]:
        return Counter(self.log.read_text(encoding="utf-8").split())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        self.proc.wait(10)


def settings_for(port: int, rate: float) -> Settings:
    return Settings(
        smtp_url=SecretStr(f"smtp://127.0.0.1:{port}?starttls=0&timeout=30"),
        secret_key=SecretStr("bench-secret-0123456789abcdef"),
        public_url="https://digest.example.org",
        mail_rate=rate,
        _env_file=None,  # type: ignore[call-arg]
    )


async def populate(db: Any, count: int) -> None:
    async def add(conn: Any) -> None:
        for n in range(count):
            await add_confirmed(
                conn,
                f"reader{n}@example.org",
                topics=TOPIC_SETS[n % len(TOPIC_SETS)],
                language="en" if n % 7 == 0 else "zh",
                source="import",
                detail="bench",
            )

    await db.write(add)


async def drain(db: Any, sender: EmailSender) -> float:
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(sender.run(stop))
    while await pending_mail(db.reader):  # noqa: ASYNC110 - the outbox has no event to wait on
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    return elapsed


async def naive(db: Any, settings: Settings, port: int, limit: int) -> tuple[int, float, float]:
    """The baseline: render each mail anew, one smtplib connection per mail."""
    mailer = Mailer.from_settings(settings)
    stored = await get_issue(db.reader)
    assert stored is not None
    tags = await issue_tags(db.reader, stored.id)
    async with db.reader.execute(
        "SELECT s.id, s.address, s.language, s.summary_mode FROM outbox o"
        " JOIN email_subscribers s ON s.id = o.subscriber_id WHERE o.channel = 'email'"
        " ORDER BY o.id LIMIT ?",
        (limit,),
    ) as cur:
        rows = list(await cur.fetchall())
    readers = [
        Reader(r[0], r[1], r[2], r[3], reader_topics(await subscriber_topics(db.reader, r[0])))
        for r in rows
    ]
    cpu, wall = time.process_time(), time.perf_counter()
    for reader in readers:
        message = digest_message(stored.issue, reader, mailer, tags=tags)
        assert message is not None
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.sendmail(message.envelope_sender, [message.recipient], message.data)
    await mailer.close()
    return len(readers), time.perf_counter() - wall, time.process_time() - cpu


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sink, baseline_sink = Sink(folder, "sink"), Sink(folder, "baseline")
        try:
            async with open_database(folder / "bench.sqlite3") as db:
                t0 = time.perf_counter()
                await populate(db, args.subscribers)
                populate_s = time.perf_counter() - t0
                settings = settings_for(sink.port, args.rate)
                text = SEED.read_text(encoding="utf-8")
                t0 = time.perf_counter()
                published = await publish_issue(db, parse_issue(text), text, settings)
                enqueue_s = time.perf_counter() - t0
                async with db.reader.execute(
                    "SELECT s.address FROM outbox o JOIN email_subscribers s"
                    " ON s.id = o.subscriber_id WHERE o.channel = 'email'"
                ) as cur:
                    expected = {str(r[0]) for r in await cur.fetchall()}
                mailer = Mailer.from_settings(settings, pool_size=args.connections)
                sender = EmailSender(
                    db, mailer, EmailOptions(workers=args.workers or 2 * args.connections)
                )
                sender.cache = MailCache()
                cpu = time.process_time()
                elapsed = await drain(db, sender)
                cpu_s = time.process_time() - cpu
                await mailer.close()
                got = sink.received()
                n_base, base_wall, base_cpu = await naive(
                    db, settings, baseline_sink.port, args.baseline
                )
                base_got = sum(baseline_sink.received().values())
        finally:
            sink.close()
            baseline_sink.close()
    sent = sum(got.values())
    achieved = sent / elapsed if elapsed else 0.0
    ours_cpu_1000 = cpu_s / max(sent, 1) * 1000
    base_cpu_1000 = base_cpu / max(n_base, 1) * 1000
    return {
        "subscribers": args.subscribers,
        "connections": args.connections,
        "workers": args.workers or 2 * args.connections,
        "mails_queued": published.mails,
        "mails_received": sent,
        "lost": len(expected - set(got)),
        "duplicates": sum(n - 1 for n in got.values() if n > 1),
        "unexpected": len(set(got) - expected),
        "rate_configured": args.rate,
        "rate_achieved": round(achieved, 1),
        "rate_ratio": round(achieved / args.rate, 3),
        "seconds": round(elapsed, 2),
        "sender_cpu_s_per_1000": round(ours_cpu_1000, 3),
        "renders": sender.cache.renders,
        "populate_s": round(populate_s, 2),
        "publish_enqueue_s": round(enqueue_s, 2),
        "baseline_mails": n_base,
        "baseline_received": base_got,
        "baseline_rate": round(n_base / base_wall, 1) if base_wall else 0.0,
        "baseline_cpu_s_per_1000": round(base_cpu_1000, 3),
        "cpu_ratio_baseline_over_sender": round(base_cpu_1000 / ours_cpu_1000, 2)
        if ours_cpu_1000
        else None,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--baseline", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=0, help="default: 2 per connection")
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(main(arguments)), ensure_ascii=False))
