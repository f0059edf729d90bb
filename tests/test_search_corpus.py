"""Recall and precision against a substring oracle over the 30 real issues.

For single terms, search must find every entry whose title, source or summary
contains the term — what ``LIKE '%term%'`` finds, after the same normalization
— and nothing else.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import aiosqlite
import pytest

from bot.digest.parse import parse_issue
from bot.search.engine import search
from bot.search.query import parse_query
from bot.store.db import transaction
from bot.store.issues import file_hash, ingest_issue
from bot.store.search import Scope, newest_ids
from bot.text.normalize import normalize

pytestmark = pytest.mark.corpus

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[A-Za-z]{3,}")
_FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))}


@pytest.fixture
async def corpus_db(db: aiosqlite.Connection, corpus_issues: list[Path]) -> aiosqlite.Connection:
    async with transaction(db):
        for path in corpus_issues:
            text = path.read_text(encoding="utf-8")
            await ingest_issue(db, parse_issue(text), file_hash(text), text)
    return db


async def _texts(db: aiosqlite.Connection) -> dict[int, str]:
    async with db.execute("SELECT id, title, source, summary FROM entries") as cur:
        return {int(r[0]): normalize(f"{r[1]}\n{r[2] or ''}\n{r[3]}") for r in await cur.fetchall()}


def _terms(texts: list[str]) -> list[str]:
    rng = random.Random(20210105)
    corpus = "\n".join(texts)
    runs = _CJK.findall(corpus)
    words = sorted(set(_WORD.findall(corpus)))
    terms = ["量化", "剪枝", "蒸馏", "推理", "模型", "压缩", "移动端", "低比特量化", "量", "芯"]
    for _ in range(120):  # 2-character CJK words taken from anywhere in a run
        run = rng.choice([r for r in runs if len(r) >= 2])
        i = rng.randrange(len(run) - 1)
        terms.append(run[i : i + 2])
    terms += [rng.choice(runs)[:1] for _ in range(20)]
    terms += [run[:4] for run in rng.sample([r for r in runs if len(r) >= 4], 20)]
    for word in rng.sample(words, 60):  # English words in any case, infixes too
        terms += [word.upper(), word.title(), word[1:-1] if len(word) > 4 else word]
    terms += ["".join(_FULL_WIDTH[c] for c in w) for w in ("NCNN", "Int8", "TensorRT", "TVM")]
    terms += ["壓縮", "模型壓縮", "yolo", "net", "zzzz不存在"]
    return terms


async def test_single_terms_find_exactly_what_a_substring_scan_finds(
    corpus_db: aiosqlite.Connection,
) -> None:
    texts = await _texts(corpus_db)
    terms = _terms(list(texts.values()))
    assert len(terms) > 300
    for term in terms:
        needle = normalize(term)
        expected = {i for i, text in texts.items() if needle in text}
        expression = parse_query(term).expression
        assert expression is not None
        found = set(await newest_ids(corpus_db, expression, Scope(), cap=10_000))
        missed, extra = len(expected - found), len(found - expected)
        assert found == expected, f"{term!r}: missed {missed}, extra {extra}"


async def test_sql_like_scan_is_a_subset_of_search(corpus_db: aiosqlite.Connection) -> None:
    """The literal oracle from the issue: LIKE '%term%' (ASCII case-insensitive)."""
    for term in ["NCNN", "ncnn", "TensorRT", "int8", "YOLO", "量化", "剪枝", "蒸馏", "ARM"]:
        async with corpus_db.execute(
            "SELECT id FROM entries WHERE title LIKE ?1 OR source LIKE ?1 OR summary LIKE ?1",
            (f"%{term}%",),
        ) as cur:
            like = {int(r[0]) for r in await cur.fetchall()}
        page = await search(corpus_db, term, limit=50)
        found = set(
            await newest_ids(corpus_db, parse_query(term).expression or "", Scope(), cap=10_000)
        )
        assert like and like <= found, term
        assert page.total == len(found)
