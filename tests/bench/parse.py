"""Benchmark: the digest parser against markdown-it-py's bare tokenization.

Standalone (not part of the test run): ``.venv/bin/python tests/bench/parse.py``.
Both sides run in this process on the same corpus bytes, so only ratios matter:

* ``parser_ratio``: parse_issue over the 30 corpus issues / bare
  ``MarkdownIt("commonmark").parse`` of the same texts (goal ≤ 2);
  ``walk_overhead_ratio`` is the same against the parser's own tokenizer (which
  skips percent-encoding link urls, so it is a little faster than the bare one);
* ``process_ratio``: a whole ``bot parse`` process over all files / a bare Python
  process that imports markdown_it, reads and tokenizes them (goal ≤ 2).

Prints one JSON line of figures, then one for lint on generated issues:

* ``lint_ms`` for ~450 KB and ~900 KB of unknown sections (the shape that was
  quadratic: 886 KB took 68 s) and ``lint_doubling_ratio`` between them (goal ≈ 2,
  parse and lint together as ``bot lint`` runs them).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "issues"

from markdown_it import MarkdownIt  # noqa: E402

from bot.digest.lint import lint_issue  # noqa: E402
from bot.digest.parse import _MD as PARSER_MARKDOWN  # noqa: E402
from bot.digest.parse import parse_issue  # noqa: E402

BARE_SCRIPT = """
import sys
from markdown_it import MarkdownIt
md = MarkdownIt("commonmark")
for name in sys.argv[1:]:
    with open(name, encoding="utf-8") as handle:
        md.parse(handle.read())
"""


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
    texts = [f.read_text(encoding="utf-8") for f in files]
    md = MarkdownIt("commonmark")

    def bare() -> None:
        for text in texts:
            md.parse(text)

    def parser() -> None:
        for text in texts:
            parse_issue(text)

    def parser_tokenize() -> None:
        for text in texts:
            PARSER_MARKDOWN.parse(text)

    bare(), parser(), parser_tokenize()  # warm up
    bare_s, parser_s, own_s = best_of(9, bare, parser, parser_tokenize)

    names = [str(f) for f in files]
    bot_cmd = [sys.executable, "-m", "bot", "parse", *names]
    bare_cmd = [sys.executable, "-c", BARE_SCRIPT, *names]

    def run(cmd: list[str]) -> Callable[[], object]:
        return lambda: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)

    bot_proc_s, bare_proc_s = best_of(7, run(bot_cmd), run(bare_cmd))
    print(
        json.dumps(
            {
                "files": len(files),
                "bytes": sum(len(t.encode("utf-8")) for t in texts),
                "bare_tokenize_ms": round(bare_s * 1000, 1),
                "parser_ms": round(parser_s * 1000, 1),
                "parser_ratio": round(parser_s / bare_s, 2),
                "parser_own_tokenize_ms": round(own_s * 1000, 1),
                "walk_overhead_ratio": round(parser_s / own_s, 2),
                "bare_process_ms": round(bare_proc_s * 1000, 1),
                "bot_parse_process_ms": round(bot_proc_s * 1000, 1),
                "process_ratio": round(bot_proc_s / bare_proc_s, 2),
            }
        )
    )


def _sections_issue(count: int) -> str:
    head = "# 嵌入式AI简报 (2022-01-01) 标题\n\n> 导读：本次2条。\n\n"
    body = (
        f"## 栏目{n}\n\n- [标题{n} | 来源](https://e.example/{n})\n摘要：{'内容' * 12}\n\n"
        for n in range(count)
    )
    return head + "".join(body)


def lint_bench() -> None:
    figures: dict[str, float] = {}
    times = []
    for count in (3000, 6000):
        text = _sections_issue(count)
        size = len(text.encode("utf-8"))

        def lint(text: str = text) -> None:
            lint_issue(parse_issue(text), text)

        gc.collect()
        (seconds,) = best_of(5, lint)
        times.append(seconds)
        figures[f"lint_ms_{size // 1000}kb"] = round(seconds * 1000, 1)
    figures["lint_doubling_ratio"] = round(times[1] / times[0], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
    lint_bench()
