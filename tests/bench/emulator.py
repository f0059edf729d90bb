"""Benchmark: sendMessage calls the emulator serves per second, limits lifted.

The emulator runs standalone (`bot emulator --no-limits`) in its own process, as
does the baseline, a trivial aiohttp app answering a fixed JSON; the same client
(this process, N concurrent aiohttp workers, url-encoded bodies like aiogram's)
drives both in the same run, interleaved, best of --rounds (the machine may be
shared). Besides wall-clock rates it reports calls per second of the server's own
CPU time (from /proc), which other load on the machine barely moves. "same" sends
one text to many chats (a broadcast); "distinct" makes every text unique, so
nothing parsed can be reused. Prints one final JSON line.

    .venv/bin/python tests/bench/emulator.py [--requests 6000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
BASELINE = """
import asyncio, sys
from aiohttp import web

BODY = b'{"ok":true,"result":{"message_id":1,"date":0,"chat":{"id":1,"type":"private"}}}'

async def handle(request):
    await request.post()
    return web.Response(body=BODY, content_type="application/json")

async def serve():
    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print("listening on http://127.0.0.1:%d" % runner.addresses[0][1], file=sys.stderr, flush=True)
    await asyncio.Event().wait()

asyncio.run(serve())
"""
TEXT = "<b>嵌入式AI简报 2021-01-05</b>\n\n" + "".join(
    f'<b>{i}.</b> <a href="https://example.org/paper/{i}">Paper {i}</a>: '
    "4-bit quantization of mobile transformers &amp; pruning\n"
    for i in range(12)
)
MARKUP = json.dumps({"inline_keyboard": [[{"text": "More", "callback_data": "more:1"}]]})
HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def start(cmd: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    match = re.search(r"listening on (http://[\d.]+:\d+)", line)
    if match is None:
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return proc, match.group(1)


def bodies(requests: int, chats: int, distinct: bool) -> list[bytes]:
    """Url-encoded like aiogram's, encoded up front so the client stays cheap."""
    return [
        urlencode(
            {
                "chat_id": str(1000 + n % chats),
                "text": f"{TEXT}#{n}" if distinct else TEXT,
                "parse_mode": "HTML",
                "reply_markup": MARKUP,
            }
        ).encode()
        for n in range(requests if distinct else chats)
    ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), immune to other load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(
    base: str, pid: int, payloads: list[bytes], args: argparse.Namespace
) -> tuple[float, float]:
    """(calls per second of wall time, calls per second of server CPU time)."""
    url = f"{base}/bot123456:BENCH/sendMessage"
    remaining, errors = args.requests, 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            body = payloads[remaining % len(payloads)]
            async with session.post(url, data=body, headers=HEADERS) as resp:
                await resp.read()
                errors += resp.status != 200

    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for chat in range(args.chats):  # the emulator needs the chats; the baseline ignores it
            async with session.post(f"{base}/_emu/chats", json={"id": 1000 + chat}) as resp:
                await resp.read()
        started, cpu = time.perf_counter(), cpu_seconds(pid)
        await asyncio.gather(*(worker(session) for _ in range(args.concurrency)))
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu
    if errors:
        raise SystemExit(f"{errors} requests failed against {base}")
    return args.requests / elapsed, args.requests / max(cpu, 1e-3)


def measure_once(
    cmd: list[str], payloads: list[bytes], args: argparse.Namespace
) -> tuple[float, float]:
    """One run against a fresh server process."""
    proc, base = start(cmd)
    try:
        return asyncio.run(drive(base, proc.pid, payloads, args))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    emulator_cmd = [sys.executable, "-m", "bot", "emulator", "--port", "0", "--no-limits"]
    runs = {
        "baseline": ([sys.executable, "-c", BASELINE], bodies(args.requests, args.chats, False)),
        "same": (emulator_cmd, bodies(args.requests, args.chats, False)),
        "distinct": (emulator_cmd, bodies(args.requests, args.chats, True)),
    }
    best = dict.fromkeys(runs, 0.0)
    per_cpu = dict.fromkeys(runs, 0.0)
    for _ in range(args.rounds):
        for name, (cmd, payloads) in runs.items():
            rate, cpu_rate = measure_once(cmd, payloads, args)
            best[name] = max(best[name], rate)
            per_cpu[name] = max(per_cpu[name], cpu_rate)
    figures = {
        "bench": "emulator",
        "requests": args.requests,
        "concurrency": args.concurrency,
        "text_chars": len(TEXT),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "baseline_per_s": round(best["baseline"]),
        "emulator_same_text_per_s": round(best["same"]),
        "emulator_distinct_texts_per_s": round(best["distinct"]),
        "same_vs_baseline": round(best["same"] / best["baseline"], 3),
        "distinct_vs_baseline": round(best["distinct"] / best["baseline"], 3),
        "baseline_per_cpu_s": round(per_cpu["baseline"]),
        "emulator_same_text_per_cpu_s": round(per_cpu["same"]),
        "emulator_distinct_texts_per_cpu_s": round(per_cpu["distinct"]),
        "goal_per_s": 2000,
        "goal_met": min(best["same"], best["distinct"]) >= 2000,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
