"""The benchmarks run as scripts (`python tests/bench/X.py`, `make bench`): their folder
is first on sys.path, so a benchmark named like a standard module (``email.py``) hides
it from every import in that run — the delivery benchmark then fails on ``email.utils``."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).parent / "bench"


def test_no_benchmark_hides_a_standard_module() -> None:
    names = sorted(p.stem for p in BENCH.glob("*.py"))
    assert names, "no benchmark found"
    assert [n for n in names if n in sys.stdlib_module_names] == []
