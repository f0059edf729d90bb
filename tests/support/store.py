"""Store fixtures: a fresh migrated database per test, and hand-made issues."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from bot.digest.model import Entry, Issue, Link
from bot.store.database import Database, open_database
from bot.store.db import open_db


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    """A migrated database in a temporary folder (a plain connection, for tests that
    set up or read the store directly)."""
    async with open_db(db_path) as conn:
        yield conn


@pytest.fixture
async def database(db: aiosqlite.Connection, db_path: Path) -> AsyncIterator[Database]:
    """The process's Database on the same file (what the bot's parts receive)."""
    async with open_database(db_path) as opened:
        yield opened


def make_entry(
    title: str,
    *,
    section: str = "论文",
    position: int = 0,
    url: str | None = None,
    source: str | None = "机器之心",
    summary: str = "",
    tag: str | None = None,
) -> Entry:
    links = (Link("原文", url),) if url else ()
    return Entry(
        section=section,
        position=position,
        title=title,
        source=source,
        url=url,
        links=links,
        tag=tag,
        summary=summary,
    )


def make_issue(date: str, *entries: Entry, title: str | None = None) -> Issue:
    """An issue with these entries, positions renumbered in order."""
    numbered = tuple(
        Entry(e.section, i, e.title, e.source, e.url, e.links, e.tag, e.summary, e.line)
        for i, e in enumerate(entries)
    )
    sections = tuple(dict.fromkeys(e.section for e in numbered))
    return Issue(
        date=date,
        title=title or f"嵌入式AI简报 ({date})",
        intro="导读",
        sections=sections,
        entries=numbered,
    )
