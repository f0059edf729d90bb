"""Whatever a user types is data: random hostile queries never error, and every
result contains every searched term."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import aiosqlite
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.search.engine import search
from bot.search.query import MAX_TERMS, parse_query
from bot.store.db import open_db
from bot.store.issues import ingest_issue
from bot.text.normalize import normalize
from tests.support.store import make_entry, make_issue

SYNTAX = [
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
    "t:",
    "col:",
    "\\",
    "%",
    "_",
    ";",
    "\x00",
    "ＮＣＮＮ",
    "量化",
    "推理",
    "int8",
    " ",
    "　",
]
QUERIES = st.lists(st.one_of(st.sampled_from(SYNTAX), st.text(max_size=6)), max_size=30).map(
    "".join
) | st.text(max_size=250)


class Archive:
    """One database and event loop shared by all hypothesis examples."""

    def __init__(self, path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self._cm = open_db(path)
        self.conn: aiosqlite.Connection = self.loop.run_until_complete(self._cm.__aenter__())
        issue = make_issue(
            "2021-01-05",
            make_entry("NCNN int8 量化推理", url="https://h.example/1", summary="移动端推理"),
            make_entry("模型压缩 AND 剪枝", url="https://h.example/2", summary='含 "引号" 与 *'),
            make_entry("c++ NEAR(x) 的写法", url="https://h.example/3", summary="t:col 冒号"),
        )
        self.loop.run_until_complete(ingest_issue(self.conn, issue, "h", ""))
        self.texts = [normalize(f"{e.title}\n{e.source}\n{e.summary}") for e in issue.entries]

    def close(self) -> None:
        self.loop.run_until_complete(self._cm.__aexit__(None, None, None))
        self.loop.close()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    shared = Archive(tmp_path_factory.mktemp("hostile") / "bot.sqlite3")
    yield shared
    shared.close()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=QUERIES)
def test_any_query_returns_results_or_nothing(archive: Archive, query: str) -> None:
    page = archive.loop.run_until_complete(search(archive.conn, query, limit=5))
    parsed = parse_query(query)
    assert len(parsed.include) + len(parsed.exclude) <= MAX_TERMS
    assert len(page.results) <= 5
    for result in page.results:
        text = normalize(f"{result.title}\n{result.source}\n")
        full = next(t for t in archive.texts if t.startswith(text))
        for term in parsed.include:
            assert all(run.text in full for run in term.runs)
        for term in parsed.exclude:
            if len(term.runs) == 1:
                assert term.runs[0].text not in full
