"""A digest issue as the Telegram messages one chat receives.

:func:`render_digest` is channel-agnostic: it returns :class:`Part` objects
(HTML plus its measured size and the keys of the entries it carries), which the
delivery engine stores, sends, and diffs by part when an issue is re-published.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final

from bot.digest.model import Entry, Issue
from bot.i18n import section_name, t_text
from bot.render.entry import MODES, EntryView, Mode, entry_blocks, safe_url, summary_limit_for
from bot.render.env import render
from bot.render.split import Block, Limits, Packer, RenderError
from bot.render.text import measure, one_line, trim
from bot.topics.filter import entry_matches, matching_terms, subscription_term, term_label

ISSUE_BASE: Final = (
    "https://github.com/ysh329/embedded-ai.bi-weekly/blob/master/embedded-ai-report/"
)
DEFAULT_LIMITS: Final = Limits()
HEADER: Final = "telegram/digest_header.html.j2"
CONTINUED: Final = "telegram/digest_continued.html.j2"
MAX_TITLE = 200
MAX_LABEL = 32
MAX_FILTER = 300


@dataclass(frozen=True, slots=True)
class Part:
    """One message: Telegram HTML, its length after entity parsing, its entity count,
    and the keys of the entries (whole or cut) it contains."""

    html: str
    plain_len: int
    entity_count: int
    entry_keys: tuple[str, ...]


def issue_link(issue: Issue, base: str = ISSUE_BASE) -> str | None:
    """The public page of the full issue, when the issue has a date."""
    return f"{base}{issue.date}.md" if issue.date else None


Tags = Mapping[str, frozenset[str]]
"""Stored topic slugs by entry key (``bot.store.entry_topics.issue_tags``)."""


def terms_of(words: Iterable[str]) -> list[str]:
    """Topics as typed or as stored, as stored terms (``#slug`` or the normalized word)."""
    return [term for term in (subscription_term(word) for word in words) if term]


def select_entries(
    issue: Issue,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    tags: Tags | None = None,
) -> list[Entry]:
    """The entries a chat with these topics gets (typed or stored terms; ``tags``: the
    stored tags, else each entry is tagged here — the same tags ingest stores)."""
    inc, exc = terms_of(include), terms_of(exclude)
    return [e for e in issue.entries if entry_matches(e, inc, exc, _tags_of(e, tags))]


def _label(word: str, lang: str) -> str:
    return term_label(subscription_term(word), lang, word)


def _tags_of(entry: Entry, tags: Tags | None) -> frozenset[str] | None:
    return None if tags is None else tags.get(entry.key, frozenset())


def _filter_line(lang: str, labels: Sequence[str], matched: int, total: int) -> str | None:
    shown = _labels(labels)
    if not shown:
        return None
    topics = trim(t_text("digest.topic_sep", lang).join(shown), MAX_FILTER)
    return t_text("digest.filter", lang, topics=topics, matched=matched, total=total)


@dataclass(frozen=True, slots=True)
class DigestView:
    """What one reader gets of an issue, whatever the channel: the header's fields, the
    topic filter line, and the entries that pass the filter (bounded, with every link),
    in issue order. Telegram packs them into messages; e-mail lays them out in one page."""

    name: str
    title: str
    date: str | None
    url: str | None
    filter: str | None
    labels: tuple[str, ...]
    matched: int
    total: int
    entries: tuple[EntryView, ...]

    def header_context(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "title": self.title,
            "date": self.date,
            "url": self.url,
            "filter": self.filter,
        }

    def sections(self, lang: str) -> list[tuple[str, list[EntryView]]]:
        """The entries grouped by consecutive section, with each section's name in ``lang``."""
        groups: list[tuple[str, list[EntryView]]] = []
        current: str | None = None
        for entry in self.entries:
            if entry.section != current or not groups:
                current = entry.section
                groups.append((section_name(entry.section, lang), []))
            groups[-1][1].append(entry)
        return groups


def _labels(labels: Sequence[str]) -> tuple[str, ...]:
    return tuple(trim(one_line(label), MAX_LABEL) for label in labels if one_line(label))


def digest_view(
    issue: Issue,
    *,
    lang: str = "zh",
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    topic_labels: Sequence[str] | None = None,
    tags: Tags | None = None,
    mode: Mode = "full",
    issue_url: str | None = None,
    issue_base: str = ISSUE_BASE,
    summary_limit: int | None = None,
    full_text: bool = False,
) -> DigestView | None:
    """The reader's view of ``issue`` (see :func:`render_digest` for the arguments);
    ``None`` if nothing matches the topics. With a filter, each entry names the
    topics it came for."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    chosen = select_entries(issue, include, exclude, tags)
    if not chosen:
        return None
    inc, exc = terms_of(include), terms_of(exclude)
    filtered = bool(inc or exc)
    labels = (
        topic_labels
        if topic_labels is not None
        else [
            *(_label(word, lang) for word in include),
            *(f"-{_label(word, lang)}" for word in exclude),
        ]
    )
    reasons: dict[str, str] = {}  # include term -> its label, to say why an entry came
    for word, name in zip(include, labels, strict=False):
        reasons.setdefault(subscription_term(word), name)
    keep = summary_limit_for(mode, summary_limit, full_text)
    sep = t_text("digest.topic_sep", lang)
    entries = []
    for entry in chosen:
        view = EntryView.of(entry, mode, keep)
        if inc:
            why = matching_terms(entry, inc, _tags_of(entry, tags))
            names = [trim(one_line(reasons.get(term, term)), MAX_LABEL) for term in why]
            view = dataclasses.replace(view, topics=sep.join(names))
        entries.append(view)
    return DigestView(
        name=t_text("digest.name", lang),
        title=trim(one_line(issue.title), MAX_TITLE),
        date=issue.date,
        url=safe_url(issue_url or issue_link(issue, issue_base)),
        filter=_filter_line(lang, labels, len(chosen), len(issue.entries)) if filtered else None,
        labels=_labels(labels) if filtered else (),
        matched=len(chosen),
        total=len(issue.entries),
        entries=tuple(entries),
    )


def render_digest(
    issue: Issue,
    *,
    lang: str = "zh",
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    topic_labels: Sequence[str] | None = None,
    tags: Tags | None = None,
    mode: Mode = "full",
    issue_url: str | None = None,
    issue_base: str = ISSUE_BASE,
    summary_limit: int | None = None,
    full_text: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Part]:
    """The parts a chat with these topics receives for ``issue``; ``[]`` if nothing matches.

    ``include``/``exclude`` are the chat's topics (as typed or as stored terms);
    ``topic_labels`` is how to name them in the filter line (default: catalogue
    topics by their name in ``lang``, free words as given, exclusions as ``-name``).
    With a filter, each entry's header names the topics it came for. ``tags``: the
    entries' stored topic slugs by key (computed from the entries when None).
    ``summary_limit`` overrides the mode's summary length; ``full_text`` keeps
    summaries whole (long ones are then cut across parts at a paragraph or
    sentence end).
    """
    view = digest_view(
        issue,
        lang=lang,
        include=include,
        exclude=exclude,
        topic_labels=topic_labels,
        tags=tags,
        mode=mode,
        issue_url=issue_url,
        issue_base=issue_base,
        summary_limit=summary_limit,
        full_text=full_text,
    )
    if view is None:
        return []
    header_ctx = view.header_context()

    def header(index: int, count: int) -> str:
        marker = t_text("digest.part", lang, index=index, count=count) if count > 1 else ""
        return render(HEADER if index == 1 else CONTINUED, lang, marker=marker, **header_ctx)

    widest = t_text("digest.part", lang, index=999, count=999)
    heads = [Block.of(render(n, lang, marker=widest, **header_ctx)) for n in (HEADER, CONTINUED)]
    # What every part spends before its body: the larger header and the blank line after it.
    reserve = Block("", max(h.plain_len for h in heads) + 2, max(h.entities for h in heads))

    @cache
    def heading(section: str, continued: bool) -> Block:
        name = section_name(section, lang)
        return Block.of(render("telegram/section.html.j2", lang, name=name, continued=continued))

    packer = Packer(limits, reserve, heading, "\n" if mode == "titles" else "\n\n")
    for entry in view.entries:
        for block in entry_blocks(entry, lang, mode, packer, entry.section):
            packer.add(block, entry.section)
    packer.add_tail(Block.of(render("telegram/digest_footer.html.j2", lang)))
    drafts = packer.finish()
    parts = []
    for index, draft in enumerate(drafts, start=1):
        html = header(index, len(drafts)) + "\n\n" + draft.html
        size = measure(html)
        if size.plain_len > limits.chars or size.entity_count > limits.entities:
            raise RenderError(f"part {index} came out at {size.plain_len} characters")
        parts.append(Part(html, size.plain_len, size.entity_count, draft.keys))
    return parts
