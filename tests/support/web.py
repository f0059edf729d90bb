"""The public site (bot.web) over real HTTP, on a real archive of hand-written issues."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.digest.model import Entry, Link
from bot.store.database import Database
from bot.store.issues import ingest_issue
from tests.support.store import make_entry, make_issue

PUBLIC_URL = "https://digest.example.org"
BOT_USERNAME = "digest_demo_bot"
LONG_URL = "https://example.org/" + "very-long-path-segment-" * 20 + "?q=" + "x" * 200
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def with_links(entry: Entry, *links: tuple[str, str]) -> Entry:
    return dataclasses.replace(entry, links=(*entry.links, *(Link(t, u) for t, u in links)))


def first_issue(revised: bool = False) -> tuple[str, object]:
    entries = [
        with_links(
            make_entry(
                "端侧量化：INT8 推理在手机上的实践",
                url="https://example.org/int8",
                source="机器之心",
                summary="介绍了 8 比特量化的流程。\n第二段：与剪枝结合的效果。",
                tag="量化",
            ),
            ("代码", "https://github.com/example/int8"),
            ("超长链接", LONG_URL),
        ),
        with_links(
            make_entry(
                f"标题里有 HTML {HOSTILE}",
                url="javascript:alert(document.cookie)",
                source=f"来源 {HOSTILE}",
                summary=f"摘要里也有 {HOSTILE} 量化",
            ),
            ("data 链接", "data:text/html,<script>alert(1)</script>"),
        ),
        make_entry(
            "模型压缩综述" + ("（修订版）" if revised else ""),
            section="开源",
            url="https://example.org/survey",
            source=None,
            summary="剪枝、蒸馏与低比特量化。",
        ),
    ]
    issue = make_issue("2021-01-05", *entries)
    return ("rev2" if revised else "rev1"), issue


def paging_issue() -> object:
    entries = [
        make_entry(f"量化方法第 {n} 篇", url=f"https://example.org/q{n}", summary="低比特量化")
        for n in range(1, 13)
    ]
    return make_issue("2021-02-02", *entries, title="嵌入式AI简报 (2021-02-02) 量化专题")


async def ingest_fixtures(db: Database) -> None:
    """Three issues: 2021-01-05 (published, then revised), 2021-01-19, 2021-02-02."""
    for name, issue in (first_issue(), first_issue(revised=True)):
        await db.write(lambda c, i=issue, n=name: ingest_issue(c, i, n, n))  # type: ignore[misc]
    second = make_issue(
        "2021-01-19",
        make_entry("NCNN 发布新版本", url="https://example.org/ncnn", summary="ARM 上更快。"),
        make_entry("知识蒸馏入门", url="https://example.org/kd", section="博文"),
    )
    await db.write(lambda c: ingest_issue(c, second, "second", "second"))
    third = paging_issue()
    await db.write(lambda c: ingest_issue(c, third, "third", "third"))  # type: ignore[arg-type]


def site_settings(**overrides: object) -> Settings:
    return Settings(
        public_url=PUBLIC_URL,
        username=BOT_USERNAME,
        _env_file=None,  # type: ignore[call-arg]
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
async def web_archive(database: Database) -> Database:
    await ingest_fixtures(database)
    return database


@pytest.fixture
async def site(web_archive: Database) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The site on 127.0.0.1 (a real socket) over the fixture archive."""
    from bot.web import build_app

    server = TestServer(build_app(web_archive, site_settings()), host="127.0.0.1")
    async with TestClient(server) as client:
        yield client
