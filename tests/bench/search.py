"""Search benchmark: a synthetic archive, ten query kinds, against LIKE scans.

Builds an archive of ``--entries`` (default 1,000,000) entries generated here
from corpus-like vocabulary (no corpus text is copied), indexes it with the
project's own tokenizer and FTS5 table, then measures the first result page of
``bot.search.engine.search`` for ten query kinds against the same queries as
``LIKE`` scans in the same run, and checks recall/precision of single terms.
Entries are tagged with the topic catalogue as ingest does, and three ``#topic``
queries are timed too (no LIKE oracle: they are not substring queries).
Prints one JSON line.

    .venv/bin/python tests/bench/search.py [--entries N] [--db PATH] [--runs R]

``--db`` keeps the built database for re-runs (it is rebuilt when its size
does not match). Ingest of the 30 corpus issues is timed too when
../shared/corpus exists.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.search.engine import search  # noqa: E402
from bot.search.query import parse_query  # noqa: E402
from bot.store import entry_topics, fts  # noqa: E402
from bot.store.db import open_db, transaction  # noqa: E402
from bot.store.issues import SLOTS  # noqa: E402
from bot.store.search import Scope, newest_ids  # noqa: E402
from bot.text.normalize import normalize  # noqa: E402

PER_ISSUE = 40
# Controlled terms and the share of entries that contain them.
RATES = {
    "模型": 0.34,
    "推理": 0.13,
    "移动端": 0.08,
    "芯片": 0.06,
    "量化": 0.05,
    "NCNN": 0.04,
    "TensorRT": 0.03,
    "模型压缩": 0.02,
    "int8 量化": 0.01,
    "昇腾": 0.0002,
}
# Filler: no character of the controlled terms or of the no-hit query.
_EXCLUDED = set("模型推理移动端芯片量化压缩昇腾子纠缠")
# Common Simplified characters, most frequent first (a frequency list, not corpus text).
_COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
    "子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二起小物现实加都两体制机当"
    "使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反"
    "你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展"
    "五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根"
    "论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世"
    "金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目"
    "至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫"
)
FILLER_CHARS = "".join(c for c in dict.fromkeys(_COMMON) if c not in _EXCLUDED)
# Character frequencies fall off like real text (Zipf-like): a few very common ones.
_ZIPF = list(itertools.accumulate(1 / (rank + 10) for rank in range(len(FILLER_CHARS))))
ENGLISH = [
    "ARM",
    "GPU",
    "NPU",
    "CUDA",
    "Vulkan",
    "ONNX",
    "PyTorch",
    "TFLite",
    "YOLOv5",
    "MobileNetV3",
    "BERT",
    "Transformer",
    "MNN",
    "TVM",
    "OpenCL",
    "Metal",
    "FP16",
    "benchmark",
    "kernel",
    "latency",
    "SIMD",
    "NEON",
    "RISC-V",
    "Edge",
    "SoC",
]
TRADITIONAL = {"模型压缩": "模型壓縮"}
FULL_WIDTH = {"NCNN": "ＮＣＮＮ", "TensorRT": "ＴｅｎｓｏｒＲＴ"}
QUERIES = {
    "cjk_1char": "芯",
    "cjk_2char": "量化",
    "cjk_4char": "模型压缩",
    "english_word": "TensorRT",
    "mixed_cjk_english": "移动端 NCNN",
    "phrase": '"int8 量化"',
    "exclusion": "量化 -int8",
    "third_of_entries": "模型",
    "rare_term": "昇腾",
    "no_hit": "量子纠缠",
}
# Catalogue topics (timed only: they are not substring queries, so no LIKE oracle).
TOPIC_QUERIES = {"topic_only": "#量化", "topic_and_word": "#量化 模型", "topic_int8": "#int8 推理"}
LIKE = {  # the same queries as LIKE conditions (ASCII case-insensitive substring)
    "cjk_1char": (["芯"], []),
    "cjk_2char": (["量化"], []),
    "cjk_4char": (["模型压缩"], []),
    "english_word": (["TensorRT"], []),
    "mixed_cjk_english": (["移动端", "NCNN"], []),
    "phrase": (["int8 量化"], []),
    "exclusion": (["量化"], ["int8"]),
    "third_of_entries": (["模型"], []),
    "rare_term": (["昇腾"], []),
    "no_hit": (["量子纠缠"], []),
}
SINGLE_TERMS = [
    "cjk_1char",
    "cjk_2char",
    "cjk_4char",
    "english_word",
    "third_of_entries",
    "rare_term",
    "no_hit",
]


def _words(rng: random.Random, count: int) -> list[str]:
    """Chinese words of 2-4 characters, 15 % English words between spaces."""
    chars = rng.choices(FILLER_CHARS, cum_weights=_ZIPF, k=4 * count)
    out = []
    pos = 0
    for _ in range(count):
        if rng.random() < 0.15:
            out.append(f" {rng.choice(ENGLISH)} ")
        else:
            k = rng.choice((2, 2, 2, 3, 4))
            out.append("".join(chars[pos : pos + k]))
            pos += k
    return out


def _place(rng: random.Random, title: list[str], body: list[str], term: str) -> None:
    if term in TRADITIONAL and rng.random() < 0.03:
        term = TRADITIONAL[term]
    if term in FULL_WIDTH and rng.random() < 0.03:
        term = FULL_WIDTH[term]
    target = title if rng.random() < 0.3 else body
    spaced = f" {term} " if term[0].isascii() else term
    target.insert(rng.randrange(len(target) + 1), spaced)


def generate(n: int, seed: int = 7) -> Iterator[tuple[int, str, str, str]]:
    """(issue index, title, source, summary): ~20-character titles, ~170-character bodies."""
    rng = random.Random(seed)
    for i in range(n):
        title, body = _words(rng, 6), _words(rng, 55)
        for term, rate in RATES.items():
            if rng.random() < rate:
                _place(rng, title, body, term)
        if rng.random() < 0.005:
            _place(rng, title, body, "int8量化")
        yield i // PER_ISSUE, "".join(title).strip(), rng.choice(ENGLISH), "".join(body).strip()


def _remove(path: Path) -> None:
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        Path(name).unlink(missing_ok=True)


async def build(path: Path, n: int) -> dict[str, float]:
    start = time.perf_counter()
    issues = (n + PER_ISSUE - 1) // PER_ISSUE
    first = date(1900, 1, 1).toordinal()
    async with open_db(path) as conn:
        await conn.execute("PRAGMA synchronous = OFF")
        async with transaction(conn):
            await conn.executemany(
                "INSERT INTO issues (id, date, title, file_hash, published_at, updated_at)"
                " VALUES (?, ?, '', '', '', '')",
                ((k + 1, date.fromordinal(first + k).isoformat()) for k in range(issues)),
            )
            batch: list[tuple[int, int, str, str, str]] = []
            for slot, (issue, title, source, summary) in enumerate(generate(n)):
                entry_id = (first + issue) * SLOTS + slot % PER_ISSUE
                batch.append((entry_id, issue + 1, title, source, summary))
                if len(batch) == 20_000:
                    await _insert(conn, batch)
                    batch = []
            await _insert(conn, batch)
        insert_s = time.perf_counter() - start
        t = time.perf_counter()
        await conn.execute("INSERT INTO entry_fts (entry_fts) VALUES ('optimize')")
        optimize_s = time.perf_counter() - t
        figures = {
            "generate_tokenize_insert_s": round(insert_s, 1),
            "optimize_s": round(optimize_s, 1),
        }
        await conn.execute("CREATE TABLE bench_build (figures TEXT NOT NULL)")
        await conn.execute("INSERT INTO bench_build VALUES (?)", (json.dumps(figures),))
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return figures


async def _insert(conn: object, batch: list[tuple[int, int, str, str, str]]) -> None:
    await conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO entries (id, issue_id, key, section, position, title, source, summary)"
        " VALUES (?, ?, ?, '论文', 0, ?, ?, ?)",
        ((i, issue, f"k{i}", t, s, m) for i, issue, t, s, m in batch),
    )
    await fts.add(conn, ((i, t, s, m) for i, _, t, s, m in batch))  # type: ignore[arg-type]
    # catalogue topics, as ingest stores them (ranking and #topic read them)
    await entry_topics.tag(conn, [(i, t, s, m) for i, _, t, s, m in batch])  # type: ignore[arg-type]


def _like(kind: str) -> tuple[str, list[str]]:
    include, exclude = LIKE[kind]
    one = "(title LIKE ? OR source LIKE ? OR summary LIKE ?)"
    sql = " AND ".join([one] * len(include) + [f"NOT {one}"] * len(exclude))
    params = [f"%{t}%" for t in include + exclude for _ in range(3)]
    return sql, params


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(path: Path, runs: int, like_runs: int) -> dict[str, object]:
    raw = sqlite3.connect(path)
    kinds: dict[str, dict[str, float | int | str]] = {}
    recall_min, precision_min = 1.0, 1.0
    async with open_db(path) as conn:
        for kind, query in QUERIES.items():
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                page = await search(conn, query, limit=10)
                times.append((time.perf_counter() - t) * 1000)
            where, params = _like(kind)
            page_times, scan_times = [], []
            for _ in range(like_runs):
                t = time.perf_counter()
                raw.execute(
                    f"SELECT id FROM entries WHERE {where} ORDER BY id DESC LIMIT 10", params
                ).fetchall()
                page_times.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                raw.execute(f"SELECT id FROM entries WHERE {where}", params).fetchall()
                scan_times.append((time.perf_counter() - t) * 1000)
            p50 = statistics.median(times)
            like_scan = statistics.median(scan_times)
            kinds[kind] = {
                "query": query,
                "total": page.total_label,
                "p50_ms": round(p50, 2),
                "p95_ms": round(_pct(times, 0.95), 2),
                # LIKE newest-first page (stops early for common terms) and full scan
                "like_page_p50_ms": round(statistics.median(page_times), 1),
                "like_scan_p50_ms": round(like_scan, 1),
                "speedup_vs_scan": round(like_scan / p50, 1),
            }
            if kind in SINGLE_TERMS:
                recall, precision, matches = await _check(conn, raw, kind, query)
                kinds[kind].update(matches=matches, recall=recall, precision=precision)
                recall_min, precision_min = min(recall_min, recall), min(precision_min, precision)
        for kind, query in TOPIC_QUERIES.items():
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                page = await search(conn, query, limit=10)
                times.append((time.perf_counter() - t) * 1000)
            kinds[kind] = {
                "query": query,
                "total": page.total_label,
                "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(_pct(times, 0.95), 2),
            }
    raw.close()
    return {"kinds": kinds, "recall_min": recall_min, "precision_min": precision_min}


async def _check(
    conn: object, raw: sqlite3.Connection, kind: str, query: str
) -> tuple[float, float, int]:
    """Recall against the full LIKE scan; precision on up to 3000 results."""
    where, params = _like(kind)
    like_ids = {r[0] for r in raw.execute(f"SELECT id FROM entries WHERE {where}", params)}
    expression = parse_query(query).expression
    assert expression is not None
    found = set(await newest_ids(conn, expression, Scope(), cap=10**8))  # type: ignore[arg-type]
    recall = len(like_ids & found) / len(like_ids) if like_ids else 1.0
    sample = random.Random(1).sample(sorted(found), min(3000, len(found)))
    needle = normalize(query)
    good = 0
    for i in sample:
        title, source, summary = raw.execute(
            "SELECT title, source, summary FROM entries WHERE id = ?", (i,)
        ).fetchone()
        good += needle in normalize(f"{title}\n{source}\n{summary}")
    return round(recall, 4), round(good / len(sample), 4) if sample else 1.0, len(found)


HOSTILE = [
    '"',
    "'",
    "*",
    "^",
    ":",
    "(",
    ")",
    "-",
    "+",
    "NEAR(",
    "AND",
    "OR",
    "NOT",
    "{",
    "}",
    "col:",
    "\\",
    "%",
    " ",
    "量化",
    "ncnn",
    "c++",
    "\x00",
    "　",
    "“",
    "」",
]


async def hostile(path: Path, count: int) -> dict[str, int]:
    """Random hostile strings through the real query builder into MATCH: errors raised
    by our expression vs by passing the raw text (what many bots do)."""
    rng = random.Random(11)
    ours = raw_errors = 0
    async with open_db(path) as conn:
        for _ in range(count):
            text = "".join(rng.choice(HOSTILE) for _ in range(rng.randrange(1, 8)))
            try:
                await search(conn, text, limit=1)
            except sqlite3.Error:
                ours += 1
            try:
                await (
                    await conn.execute(
                        "SELECT rowid FROM entry_fts WHERE entry_fts MATCH ? LIMIT 1", (text,)
                    )
                ).fetchall()
            except sqlite3.Error:
                raw_errors += 1
    return {"hostile_queries": count, "hostile_errors": ours, "raw_match_errors": raw_errors}


async def corpus_ingest() -> float | None:
    from bot.digest.parse import parse_issue
    from bot.store.issues import file_hash, ingest_issue

    folder = ROOT.parent / "shared" / "corpus" / "issues"
    if not folder.is_dir():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        async with open_db(Path(tmp) / "c.sqlite3") as conn, transaction(conn):
            for path in sorted(folder.glob("*.md")):
                text = path.read_text(encoding="utf-8")
                await ingest_issue(conn, parse_issue(text), file_hash(text), text)
        return round(time.perf_counter() - start, 2)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="keep the built database here")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per query kind")
    parser.add_argument("--like-runs", type=int, default=3, help="timed runs per LIKE scan")
    parser.add_argument("--hostile", type=int, default=2000, help="random hostile queries")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.sqlite3"
        built: dict[str, object] = {}
        existing = 0
        if path.exists():
            with sqlite3.connect(path) as probe:
                existing = probe.execute("SELECT count(*) FROM entries").fetchone()[0]
        if existing != args.entries:
            _remove(path)
            built = await build(path, args.entries)
        else:  # a kept database: report the figures of the build that made it
            with sqlite3.connect(path) as probe:
                row = probe.execute("SELECT figures FROM bench_build").fetchone()
            built = {**json.loads(row[0]), "build_reused": True}
        figures = await measure(path, args.runs, args.like_runs)
        figures.update(await hostile(path, args.hostile))
        size_mb = round(path.stat().st_size / 2**20, 1)
    kinds = figures["kinds"]
    assert isinstance(kinds, dict)
    result = {
        "bench": "search",
        "entries": args.entries,
        "sqlite": sqlite3.sqlite_version,
        **built,
        "db_mb": size_mb,
        **figures,
        "worst_p95_ms": max(k["p95_ms"] for k in kinds.values()),
        "selective_speedup_min": min(kinds[k]["speedup_vs_scan"] for k in ("rare_term", "no_hit")),
        "corpus_30_ingest_s": await corpus_ingest(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
