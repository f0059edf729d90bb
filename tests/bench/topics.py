"""Benchmark: tagging every corpus entry with its topics, against parsing the issues.

Standalone (not part of the test run): ``.venv/bin/python tests/bench/topics.py``.
Both sides run in this process on the same corpus, best of several interleaved
repetitions, so only the ratio matters:

* ``parse_ms``: parse_issue over the 30 corpus issues;
* ``tag_ms``: tag_entry over every entry of those issues (the matcher is compiled
  once beforehand, as in a running bot; ``compile_ms`` is that one-off cost);
* ``tag_vs_parse``: tag_ms / parse_ms (goal ≤ 2).

Prints one JSON line of figures.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "issues"

from bot.digest.parse import parse_issue  # noqa: E402
from bot.topics.catalog import load_catalog  # noqa: E402
from bot.topics.match import Matcher  # noqa: E402


def best_of(runs: int, *funcs: Callable[[], object]) -> list[float]:
    """Best time of each function, interleaved so machine load hits both alike."""
    best = [float("inf")] * len(funcs)
    for _ in range(runs):
        for k, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[k] = min(best[k], time.perf_counter() - start)
    return best


def main() -> None:
    files = sorted(CORPUS.glob("*.md"))
    if not files:
        sys.exit(f"no corpus issues in {CORPUS}")
    texts = [(f.name, f.read_text(encoding="utf-8")) for f in files]
    entries = [e for name, text in texts for e in parse_issue(text, filename=name).entries]

    start = time.perf_counter()
    matcher = Matcher(load_catalog())
    compile_s = time.perf_counter() - start

    def parse() -> None:
        for name, text in texts:
            parse_issue(text, filename=name)

    def tag() -> None:
        for entry in entries:
            matcher.tag_entry(entry)

    parse(), tag()  # warm up
    parse_s, tag_s = best_of(9, parse, tag)
    print(
        json.dumps(
            {
                "files": len(files),
                "entries": len(entries),
                "topics": len(matcher.catalog.topics),
                "compile_ms": round(compile_s * 1000, 1),
                "parse_ms": round(parse_s * 1000, 1),
                "tag_ms": round(tag_s * 1000, 1),
                "tag_vs_parse": round(tag_s / parse_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
