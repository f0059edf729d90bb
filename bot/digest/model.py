"""What the parser makes of one digest issue."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A parse or lint finding, tied to a 1-based source line."""

    code: str
    severity: Severity
    line: int
    message: str


_KEY_SPACE = re.compile(r"\s+")


def normalize_title(title: str) -> str:
    """Title as used in keys: NFKC, case-folded, whitespace collapsed."""
    return _KEY_SPACE.sub(" ", unicodedata.normalize("NFKC", title)).strip().casefold()


@dataclass(frozen=True, slots=True)
class Entry:
    section: str
    position: int
    title: str
    source: str | None
    url: str | None
    links: tuple[Link, ...] = ()
    tag: str | None = None
    summary: str = ""
    line: int = 0

    @property
    def key(self) -> str:
        """Stable identity across revisions: the url, else the normalized title."""
        if self.url:
            return self.url.strip()
        return "title:" + normalize_title(self.title)


@dataclass(frozen=True, slots=True)
class Issue:
    date: str | None
    title: str
    intro: str
    warmups: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    entries: tuple[Entry, ...] = ()
    warnings: tuple[Finding, ...] = field(default=())
    # The file name's date when it differs from the heading's (``date``): which one is
    # meant must be said (`bot publish --date`); lint reports it as an error.
    other_date: str | None = None
    heading_line: int = 1

    def with_date(self, date: str) -> Issue | None:
        """This issue dated ``date`` (its heading's or its file name's date), else None."""
        if date == self.date and self.other_date is None:
            return self
        if date not in (self.date, self.other_date):
            return None
        return replace(self, date=date, other_date=None)

    # 1-based line of each section's first heading, parallel to ``sections`` (empty
    # when the issue was not parsed from Markdown, e.g. read back from the store).
    section_lines: tuple[int, ...] = ()
    # (entry line, raw inline HTML) for each entry holding some: kept as text or
    # dropped as markup by the parser, reported by lint.
    entry_html: tuple[tuple[int, str], ...] = ()
    # (line, destination) of each link in an entry with a refused scheme
    # (``javascript:``, ``data:``…): never used as a link, reported by lint.
    refused_links: tuple[tuple[int, str], ...] = ()
