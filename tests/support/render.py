"""Render helpers shared by tests: build issues by hand and check parts the way Telegram does."""

from __future__ import annotations

from collections.abc import Sequence

from bot.digest.model import Entry, Issue, Link
from bot.emulator.html import parse_html
from bot.render.digest import Part
from bot.render.split import MAX_CHARS, MAX_ENTITIES


def make_entry(
    position: int,
    title: str,
    *,
    section: str = "论文",
    summary: str = "",
    source: str | None = "来源",
    url: str | None = "auto",
    tag: str | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> Entry:
    link = f"https://example.com/{position}" if url == "auto" else url
    more = tuple(Link(text, href) for text, href in links)
    return Entry(section, position, title, source, link, more, tag=tag, summary=summary)


def make_issue(entries: Sequence[Entry], date: str = "2022-03-01", title: str = "") -> Issue:
    sections = tuple(dict.fromkeys(e.section for e in entries))
    return Issue(date=date, title=title, intro="", sections=sections, entries=tuple(entries))


def assert_telegram_parts(parts: Sequence[Part]) -> list[str]:
    """Every part is accepted by the emulator's HTML parser, within Telegram's limits, and its
    reported sizes are the real ones; returns the plain texts."""
    plains = []
    for part in parts:
        parsed = parse_html(part.html)
        assert len(parsed.plain) == part.plain_len <= MAX_CHARS
        assert len(parsed.entities) == part.entity_count <= MAX_ENTITIES
        assert parsed.plain.strip() == parsed.plain, "no leading or trailing whitespace"
        plains.append(parsed.plain)
    return plains
