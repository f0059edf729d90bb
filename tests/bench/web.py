"""Web benchmark: the public site's search and issue pages under 50 concurrent clients.

Standalone (not part of the test run): ``.venv/bin/python tests/bench/web.py``.

Ingests the 30 corpus issues (../shared/corpus/issues; 30 generated issues when it is
absent) into a fresh archive, serves ``bot.web.build_app`` from a child process on
127.0.0.1 (so the clients do not share the server's event loop), and measures, with
``--clients`` concurrent keep-alive clients, the latency of

* ``GET /search?q=量化``, ``GET /issues/<date>`` (the issue with the most entries) and
  ``GET /topics/<slug>`` (the topic tagging the most entries, first page),
* the same pages with every request different (``search_uncached``: an exclusion of a
  made-up word; ``issue_uncached`` / ``topic_uncached``: an extra query parameter), so
  the page cache cannot answer and the engine, the store and the templates run every time,
* and, as the baseline in the same run, a static aiohttp handler answering a fixed body
  of the issue page's size from the same server process.

The targets take turns (``--rounds``), so a burst of load from elsewhere on the machine
does not fall on one target only.

Prints one final JSON line: p50/p95/max in ms and requests/s per target, and each page's
p95 as a ratio of the baseline's p95. The issue asks for p95 ≤ 20 ms; nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "issues"

from bot.config import Settings  # noqa: E402
from bot.digest.parse import parse_issue  # noqa: E402
from bot.store.database import open_database  # noqa: E402
from bot.store.entry_topics import topic_counts  # noqa: E402
from bot.store.issues import file_hash, ingest_issue, list_issues  # noqa: E402

STATIC = "/bench/static"
WORDS = ["量化", "剪枝", "蒸馏", "NCNN", "推理", "端侧", "模型", "INT8", "GPU", "编译"]


def generated(n: int) -> str:
    day = f"2020-{1 + n // 3:02d}-{1 + (n % 3) * 9:02d}"
    lines = [f"# 嵌入式AI简报 ({day})", "", "导读：生成的期。", "", "## 论文", ""]
    for i in range(40):
        w = WORDS[(n + i) % len(WORDS)]
        lines += [
            f"{i + 1}. [{w} 方法第 {i} 篇：低比特{WORDS[i % len(WORDS)]}](https://example.org/{n}/{i})",
            "   - 来源：机器之心",
            f"   - 摘要：关于{w}与{WORDS[(i * 3) % len(WORDS)]}的实践，" + "细节" * 20,
            "",
        ]
    return "\n".join(lines)


async def build(db_path: Path) -> tuple[str, str, int, str]:
    """Ingest the archive; return (source, the biggest issue's date, issues, the slug of
    the topic tagging the most entries)."""
    texts = (
        [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.md"))]
        if CORPUS.is_dir()
        else [generated(n) for n in range(30)]
    )
    source = "corpus" if CORPUS.is_dir() else "generated"
    async with open_database(db_path) as db:
        for text in texts:
            issue = parse_issue(text)
            if issue.date is None:
                continue
            await db.write(lambda c, i=issue, t=text: ingest_issue(c, i, file_hash(t), t))
        rows = await list_issues(db.reader)
        counts = await topic_counts(db.reader)
    biggest = max(rows, key=lambda r: r.entries)
    return source, biggest.date, len(rows), max(counts, key=lambda slug: counts[slug])


async def serve(db_path: Path, page_bytes: int) -> None:
    """The child: the site plus a static baseline handler; prints its port, runs until killed."""
    from aiohttp import web

    from bot.web import build_app

    body = ("x" * page_bytes).encode()

    async def static(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/html")

    async with open_database(db_path) as db:
        settings = Settings(public_url="https://digest.example.org", _env_file=None)  # type: ignore[call-arg]
        app = build_app(db, settings)
        app.router.add_get(STATIC, static)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()


async def load(
    base: str, path: str, clients: int, per_client: int, latencies: list[float]
) -> float:
    """Add each request's latency (ms) to ``latencies``; return the seconds it took.
    ``path`` may hold ``{n}``: a number unique to each request (defeats the page cache)."""
    connector = aiohttp.TCPConnector(limit=clients)
    numbers = itertools.count()
    async with aiohttp.ClientSession(base, connector=connector) as session:

        async def one() -> None:
            async with session.get(path.format(n=next(numbers))) as response:
                await response.read()
                assert response.status == 200, (path, response.status)

        await asyncio.gather(*(one() for _ in range(clients * 2)))  # warm up, open connections

        async def client() -> None:
            for _ in range(per_client):
                start = time.perf_counter()
                await one()
                latencies.append((time.perf_counter() - start) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return time.perf_counter() - began


def summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    latencies = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2),
        "max_ms": round(latencies[-1], 2),
        "rps": round(len(latencies) / elapsed, 1),
        "requests": len(latencies),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40, help="per client and target")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="the targets take turns this many times (the machine's load falls on all alike)",
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--page-bytes", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        await serve(args.serve, args.page_bytes)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        source, date, issues, slug = await build(db_path)
        # The size of the issue page, for a baseline that moves as many bytes.
        child = await asyncio.to_thread(_spawn, db_path, 0)
        try:
            base = f"http://127.0.0.1:{child[1]}"
            async with aiohttp.ClientSession() as s, s.get(f"{base}/issues/{date}") as r:
                page_bytes = len(await r.read())
        finally:
            child[0].kill()
            child[0].wait()
        proc, port = await asyncio.to_thread(_spawn, db_path, page_bytes)
        try:
            base = f"http://127.0.0.1:{port}"
            targets = {
                "static": STATIC,
                "search": "/search?q=量化",
                "issue": f"/issues/{date}",
                "topic": f"/topics/{slug}",
                # Every request different: the engine and the templates run each time.
                "search_uncached": "/search?q=量化 -nope{n}",
                "issue_uncached": f"/issues/{date}?v={{n}}",
                "topic_uncached": f"/topics/{slug}?v={{n}}",
            }
            rounds = max(1, min(args.rounds, args.requests))
            latencies: dict[str, list[float]] = {name: [] for name in targets}
            elapsed = dict.fromkeys(targets, 0.0)
            for _ in range(rounds):
                for name, path in targets.items():
                    per_client = args.requests // rounds
                    took = await load(base, path, args.clients, per_client, latencies[name])
                    elapsed[name] += took
            figures = {name: summary(latencies[name], elapsed[name]) for name in targets}
        finally:
            proc.kill()
            proc.wait()
    baseline = figures["static"]["p95_ms"] or 0.01
    result = {
        "bench": "web",
        "archive": source,
        "issues": issues,
        "issue_page": date,
        "issue_page_bytes": page_bytes,
        "topic_page": slug,
        "clients": args.clients,
        "rounds": rounds,
        **{name: figures[name] for name in figures},
        "search_p95_vs_static": round(figures["search"]["p95_ms"] / baseline, 2),
        "issue_p95_vs_static": round(figures["issue"]["p95_ms"] / baseline, 2),
        "topic_p95_vs_static": round(figures["topic"]["p95_ms"] / baseline, 2),
        "search_uncached_p95_vs_static": round(figures["search_uncached"]["p95_ms"] / baseline, 2),
        "issue_uncached_p95_vs_static": round(figures["issue_uncached"]["p95_ms"] / baseline, 2),
        "topic_uncached_p95_vs_static": round(figures["topic_uncached"]["p95_ms"] / baseline, 2),
        "goal_p95_ms": 20,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, ensure_ascii=False))


def _spawn(db_path: Path, page_bytes: int) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(db_path), "--page-bytes", str(page_bytes)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip():
        proc.kill()
        raise SystemExit("the web server child did not start")
    return proc, int(line)


if __name__ == "__main__":
    asyncio.run(main())
