"""Benchmark: cost of rendering digests into Telegram parts, against a naive renderer.

For every corpus issue (../shared/corpus/issues, else the seed) and a set of topic
filters, times ``render_digest`` (Jinja templates, measuring, splitting within
4096 characters / 100 entities) and, in the same run, a naive renderer that
escapes and concatenates every entry into one string with f-strings and no
splitting (what many bots do). Prints one final JSON line.

    .venv/bin/python tests/bench/render.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import html
import json
import time
from collections.abc import Callable
from pathlib import Path

from bot.digest.model import Issue
from bot.digest.parse import parse_issue
from bot.render.digest import render_digest
from bot.render.text import to_plain
from bot.topics.filter import entry_matches, subscription_term

ROOT = Path(__file__).resolve().parents[2]
TOPICS: list[tuple[list[str], list[str]]] = [
    ([], []),
    (["量化"], []),
    (["NCNN", "TensorRT"], []),
    (["剪枝"], ["招聘"]),
    ([], ["模型"]),
]


def _issues() -> list[Issue]:
    folder = ROOT.parent / "shared" / "corpus" / "issues"
    paths = sorted(folder.glob("*.md")) if folder.is_dir() else [ROOT / "seeds" / "2021-01-05.md"]
    return [parse_issue(p.read_text(encoding="utf-8"), filename=p.name) for p in paths]


def naive(issue: Issue, include: list[str], exclude: list[str]) -> str:
    inc = [subscription_term(t) for t in include]
    exc = [subscription_term(t) for t in exclude]
    lines = [f"<b>{html.escape(issue.title)}</b>"]
    for e in issue.entries:
        if entry_matches(e, inc, exc):
            lines.append(
                f'<b><a href="{html.escape(e.url or "")}">{html.escape(e.title)}</a></b>\n'
                f"{html.escape(e.source or '')}\n{html.escape(e.summary[:360])}"
            )
    return "\n\n".join(lines)


def _time(fn: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="best of N timings")
    args = parser.parse_args()
    issues = _issues()
    jobs = [(issue, inc, exc) for issue in issues for inc, exc in TOPICS]

    def ours() -> list[int]:
        return [len(render_digest(i, include=inc, exclude=exc)) for i, inc, exc in jobs]

    def theirs() -> list[str]:
        return [naive(i, inc, exc) for i, inc, exc in jobs]

    ours()  # warm the template cache
    t_ours, t_naive = _time(ours, args.rounds), _time(theirs, args.rounds)
    parts = [p for i, inc, exc in jobs for p in render_digest(i, include=inc, exclude=exc)]
    naive_over = sum(len(to_plain(s)[0]) > 4096 for s in theirs())
    print(
        json.dumps(
            {
                "bench": "render",
                "issues": len(issues),
                "renders": len(jobs),
                "ms_per_render": round(1000 * t_ours / len(jobs), 3),
                "renders_per_s": round(len(jobs) / t_ours),
                "naive_ms_per_render": round(1000 * t_naive / len(jobs), 3),
                "cost_ratio_vs_naive": round(t_ours / t_naive, 2),
                "parts": len(parts),
                "max_part_chars": max(p.plain_len for p in parts),
                "max_part_entities": max(p.entity_count for p in parts),
                "naive_messages_over_4096": naive_over,  # Telegram would refuse these
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
