"""Ingesting issues: new, identical (no-op) and revised files, and the recorded diffs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import aiosqlite
import pytest

from bot.digest.model import Entry
from bot.digest.parse import parse_issue
from bot.store.base import StoreError
from bot.store.issues import (
    file_hash,
    get_issue,
    ingest_issue,
    keyed_entries,
    list_issues,
    list_revisions,
)
from tests.support.store import make_entry, make_issue

A = make_entry("低比特量化综述", url="https://a.example/1", summary="量化到4比特。")
B = make_entry(
    "NCNN 推理框架更新", section="开源", url="https://b.example/2", summary="ncnn 20210105"
)
C = make_entry("无链接的新闻", section="业界新闻", url=None, summary="某公司发布芯片")


async def _count(db: aiosqlite.Connection, sql: str) -> int:
    async with db.execute(sql) as cur:
        return int((await cur.fetchone())[0])  # type: ignore[index]


async def _fts(db: aiosqlite.Connection, phrase: str) -> int:
    async with db.execute(
        "SELECT count(*) FROM entry_fts WHERE entry_fts MATCH ?", (f'{{t b}} : "{phrase}"',)
    ) as cur:
        return int((await cur.fetchone())[0])  # type: ignore[index]


async def test_new_then_identical_then_revised(db: aiosqlite.Connection) -> None:
    first = await ingest_issue(db, make_issue("2021-01-05", A, B, C), "h1", "v1")
    assert (first.status, first.entries, first.added) == (
        "new",
        3,
        ("https://a.example/1", "https://b.example/2", "title:无链接的新闻"),
    )
    again = await ingest_issue(db, make_issue("2021-01-05", A, B, C), "h1", "v1")
    assert again.status == "unchanged" and again.revision_id is None
    assert await _count(db, "SELECT count(*) FROM revisions") == 1

    b2 = make_entry(B.title, section="开源", url=B.url, summary="ncnn 新增 int8 量化支持")
    d = make_entry("模型剪枝新方法", url="https://d.example/4")
    revised = await ingest_issue(db, make_issue("2021-01-05", d, A, b2), "h2", "v2")
    assert (revised.status, revised.added, revised.changed, revised.removed) == (
        "updated",
        ("https://d.example/4",),
        ("https://b.example/2",),
        ("title:无链接的新闻",),
    )
    stored = await get_issue(db, "2021-01-05")
    assert stored is not None
    assert [e.title for e in stored.issue.entries] == ["模型剪枝新方法", A.title, B.title]
    assert stored.issue.entries[2].summary == "ncnn 新增 int8 量化支持"
    assert await _fts(db, "某公") == 0, "removed entry left the index"
    assert await _fts(db, "剪枝") == 1
    assert await _fts(db, "新增") == 1
    assert await _count(db, "SELECT count(*) FROM revisions") == 2
    async with db.execute("SELECT added, changed, removed FROM revisions ORDER BY id DESC") as cur:
        row = await cur.fetchone()
    assert row is not None and json.loads(row[2]) == ["title:无链接的新闻"]


async def test_moving_an_entry_is_not_a_change_and_a_new_link_keeps_the_entry(
    db: aiosqlite.Connection,
) -> None:
    await ingest_issue(db, make_issue("2021-01-05", A, B, C), "h1", "v1")
    linked = make_entry(C.title, section="业界新闻", url="https://c.example/3", summary=C.summary)
    result = await ingest_issue(db, make_issue("2021-01-05", B, linked, A), "h2", "v2")
    assert (result.added, result.changed, result.removed) == ((), ("https://c.example/3",), ())
    async with db.execute("SELECT key, position FROM entries ORDER BY position") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [
            ("https://b.example/2", 0),
            ("https://c.example/3", 1),
            ("https://a.example/1", 2),
        ]


async def test_duplicate_keys_in_one_issue_are_kept_apart() -> None:
    twice = [A, make_entry("同一链接的另一条", url=A.url)]
    assert list(keyed_entries(twice)) == [A.key, A.key + "#2"]


async def test_an_issue_without_date_is_refused(db: aiosqlite.Connection) -> None:
    with pytest.raises(StoreError, match="no date"):
        await ingest_issue(db, make_issue("2021-01-05", A).__class__(None, "t", ""), "h", "t")
    with pytest.raises(StoreError, match="not a valid date"):
        await ingest_issue(db, make_issue("2021-02-30", A), "h", "t")
    assert await _count(db, "SELECT count(*) FROM issues") == 0


def _content(entry: Entry) -> tuple[object, ...]:
    return (entry.title, entry.source, entry.url, entry.links, entry.tag, entry.summary)


@pytest.mark.corpus
async def test_the_26_revisions_in_order(
    db: aiosqlite.Connection, corpus_revisions: list[Path]
) -> None:
    assert len(corpus_revisions) == 26
    previous: dict[str, dict[str, Entry]] = {}
    statuses = []
    for path in corpus_revisions:
        text = path.read_text(encoding="utf-8")
        issue = parse_issue(text, filename=path.name)
        result = await ingest_issue(db, issue, file_hash(text), text)
        statuses.append(result.status)
        now = keyed_entries(issue.entries)
        before = previous.get(result.date, {})
        # Every reported key is really added / changed / removed in the file.
        assert all(k in now and k not in before for k in result.added)
        assert all(k in before and k not in now for k in result.removed)
        for key in result.changed:
            old = before.get(key) or next(
                e for k, e in before.items() if k not in now and e.title == now[key].title
            )
            assert _content(old) != _content(now[key])
        # Nothing else changed.
        untouched = set(now) - set(result.added) - set(result.changed)
        assert all(_content(before[k]) == _content(now[k]) for k in untouched)
        stored = await get_issue(db, result.date)
        assert stored is not None
        assert [_content(e) for e in stored.issue.entries] == [_content(e) for e in now.values()]
        previous[result.date] = now
    # The draft was dated 2021-01-01 until revision 9 fixed the date.
    assert statuses == ["new"] + ["updated"] * 7 + ["new"] + ["updated"] * 17
    assert [(s.date, s.revisions) for s in await list_issues(db)] == [
        ("2021-01-05", 18),
        ("2021-01-01", 8),
    ]
    # Revision 3 gave the JAX entry its link: the same entry, changed in place.
    draft = await list_revisions(db, "2021-01-01")
    assert (draft[2].added, draft[2].changed, draft[2].removed) == (
        (),
        ("https://mp.weixin.qq.com/s/SBOOGgclAYBw7F0lmtyxjA",),
        (),
    )
    final = await list_revisions(db, "2021-01-05")
    assert len(final) == 18 and len(final[0].added) == 12
    # Ingesting the final file again is a no-op.
    last = corpus_revisions[-1].read_text(encoding="utf-8")
    again = await ingest_issue(db, parse_issue(last), file_hash(last), last)
    assert again.status == "unchanged"


async def test_an_issue_is_described_by_its_title_else_intro_else_first_headline(
    db: aiosqlite.Connection,
) -> None:
    issues = [
        replace(make_issue("2021-08-24", A, B), title="  特斯拉D1芯\n/BiBERT ", intro="导读"),
        replace(make_issue("2021-05-21", A), title="", intro="本次内容10条，\n【新闻】谷歌 TPU"),
        replace(make_issue("2019-03-31", C, A), title="", intro="  "),
        replace(make_issue("2019-03-15"), title="", intro=""),
    ]
    for issue in issues:
        await ingest_issue(db, issue, file_hash(str(issue.date)), str(issue.date))
    described = [(s.date, s.description) for s in await list_issues(db)]
    assert described == [
        ("2021-08-24", "特斯拉D1芯 /BiBERT"),
        ("2021-05-21", "【新闻】谷歌 TPU"),
        ("2019-03-31", "无链接的新闻"),
        ("2019-03-15", ""),
    ]
