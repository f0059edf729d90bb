"""What the templates show: plain values built from the store (escaped by the templates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.digest.model import Entry
from bot.i18n import section_name
from bot.render.entry import safe_url
from bot.render.text import clean, one_line
from bot.search.engine import SearchResult
from bot.search.snippet import Segment
from bot.store.base import STAMP
from bot.store.issues import Revision, StoredIssue


@dataclass(frozen=True, slots=True)
class LinkView:
    text: str
    href: str | None  # None: not an http(s) link, shown as text only


@dataclass(frozen=True, slots=True)
class EntryView:
    number: int  # the anchor is #e-<number>, 1-based in issue order
    title: str
    href: str | None
    source: str
    tag: str
    paragraphs: tuple[str, ...]
    links: tuple[LinkView, ...]

    @property
    def anchor(self) -> str:
        return f"e-{self.number}"


@dataclass(frozen=True, slots=True)
class SectionView:
    name: str
    entries: tuple[EntryView, ...]


@dataclass(frozen=True, slots=True)
class Stamp:
    """A store timestamp (UTC) for ``<time datetime=…>`` and for reading."""

    iso: str
    shown: str

    @classmethod
    def of(cls, stamp: str) -> Stamp:
        try:
            moment = datetime.strptime(stamp, STAMP)
        except ValueError:
            return cls(stamp, stamp)
        return cls(moment.strftime("%Y-%m-%dT%H:%M:%SZ"), moment.strftime("%Y-%m-%d %H:%M UTC"))


def entry_view(number: int, entry: Entry) -> EntryView:
    links = tuple(
        LinkView(one_line(link.text) or link.url, safe_url(link.url)) for link in entry.links
    )
    return EntryView(
        number=number,
        title=one_line(entry.title),
        href=safe_url(entry.url),
        source=one_line(entry.source or ""),
        tag=one_line(entry.tag or ""),
        paragraphs=tuple(clean(entry.summary).split("\n")) if entry.summary.strip() else (),
        links=links,
    )


def entry_views(stored: StoredIssue) -> tuple[EntryView, ...]:
    return tuple(entry_view(n, e) for n, e in enumerate(stored.issue.entries, start=1))


def sections(stored: StoredIssue, lang: str) -> tuple[SectionView, ...]:
    views = entry_views(stored)
    grouped: dict[str, list[EntryView]] = {}
    for entry, view in zip(stored.issue.entries, views, strict=True):
        grouped.setdefault(entry.section, []).append(view)
    return tuple(SectionView(section_name(name, lang), tuple(es)) for name, es in grouped.items())


@dataclass(frozen=True, slots=True)
class RevisionView:
    number: int  # revisions are counted from 1: the first ingest is revision 1
    published: Stamp
    changed: Stamp

    @classmethod
    def of(cls, revisions: list[Revision]) -> RevisionView | None:
        if not revisions:
            return None
        return cls(
            number=len(revisions),
            published=Stamp.of(revisions[0].ingested_at),
            changed=Stamp.of(revisions[-1].ingested_at),
        )


@dataclass(frozen=True, slots=True)
class ResultView:
    issue_date: str
    anchor: str  # e-<n> on the issue page ("" when not known)
    section: str
    source: str
    url: str | None
    title_segments: tuple[Segment, ...]
    snippet_segments: tuple[Segment, ...]


def result_view(result: SearchResult, lang: str) -> ResultView:
    return ResultView(
        issue_date=result.issue_date,
        anchor=f"e-{result.number}" if result.number > 0 else "",
        section=section_name(result.section, lang) if result.section else "",
        source=one_line(result.source or ""),
        url=safe_url(result.url),
        title_segments=result.title_segments,
        snippet_segments=result.snippet_segments,
    )
