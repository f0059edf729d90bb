"""A digest issue (and the double opt-in mail) as one e-mail's subject, HTML and text.

The content is :func:`bot.render.digest.digest_view` — the same entries, sections,
summaries, links and filter line a Telegram chat with these topics gets — laid out
by ``templates/email/*.j2``: an HTML part (one column at most 600px wide, CSS inlined
by css-inline with the ``@media`` blocks kept for dark mode and narrow screens, a
hidden preheader, no remote resources) and a text part written from the same view.
Building the MIME message is :mod:`bot.mail.message`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final

import css_inline

from bot.digest.model import Issue
from bot.i18n import t_text
from bot.render.digest import ISSUE_BASE, DigestView, Tags, digest_view
from bot.render.entry import Mode, safe_url
from bot.render.env import render, render_text
from bot.render.text import one_line, trim

MAX_SUBJECT_TOPICS: Final = 60
MAX_PREHEADER: Final = 140
PREHEADER_TITLES: Final = 3
CONFIRM_DAYS: Final = 3


class EmailRenderError(ValueError):
    """A mail cannot be rendered from these arguments (one sentence why)."""


@dataclass(frozen=True, slots=True)
class RenderedMail:
    """What a message is built from: a one-line subject, the inlined HTML, the text part,
    and the keys of the entries it carries (empty for a confirmation)."""

    subject: str
    html: str
    text: str
    preheader: str
    entry_keys: tuple[str, ...] = ()


@cache
def _inliner() -> css_inline.CSSInliner:
    # Defaults would fetch remote stylesheets and drop @media (dark mode): both off/kept.
    return css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)


def inline_css(html: str) -> str:
    """``html`` with its ``<style>`` rules moved into ``style=""`` attributes; ``@media``
    blocks stay in a ``<style>`` element. Nothing is loaded from the network."""
    return _inliner().inline(html)


_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(text: str) -> str:
    """``text`` on one line fit for a header: line breaks and control characters of any
    kind (form feed, U+2028…) become spaces, runs of spaces one space."""
    return " ".join(_BREAKS.sub(" ", text).split())


def _html_lang(lang: str) -> str:
    return "en" if lang == "en" else "zh-CN"


def _link(url: str, what: str) -> str:
    safe = safe_url(url)
    if safe is None:
        raise EmailRenderError(f"the {what} link must be an http(s) URL without spaces")
    return safe


def email_subject(view: DigestView, lang: str) -> str:
    """``嵌入式AI简报 · 2021-01-05 · 量化 5 条`` (the topics only when the reader filters)."""
    count = view.matched
    if view.labels:
        topics = trim(t_text("digest.topic_sep", lang).join(view.labels), MAX_SUBJECT_TOPICS)
        if count == 1:
            tail = t_text("mail.topics_count_one", lang, topics=topics, count=count)
        else:
            tail = t_text("mail.topics_count", lang, topics=topics, count=count)
    elif count == 1:
        tail = t_text("mail.count_one", lang, count=count)
    else:
        tail = t_text("mail.count", lang, count=count)
    return header_text(" · ".join(x for x in (view.name, view.date, tail) if x))


def _preheader(view: DigestView, lang: str) -> str:
    titles = [e.title for e in view.entries[:PREHEADER_TITLES] if e.title]
    joined = t_text("digest.topic_sep", lang).join(titles)
    return trim(
        header_text(t_text("mail.preheader", lang, count=view.matched, titles=joined)),
        MAX_PREHEADER,
    )


def render_email_digest(
    issue: Issue,
    *,
    lang: str,
    address: str,
    unsubscribe_url: str,
    preferences_url: str,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    topic_labels: Sequence[str] | None = None,
    tags: Tags | None = None,
    mode: Mode = "full",
    issue_url: str | None = None,
    issue_base: str = ISSUE_BASE,
    summary_limit: int | None = None,
    full_text: bool = False,
) -> RenderedMail | None:
    """The digest mail one subscriber gets for ``issue``; ``None`` if no entry matches.

    The topic and summary arguments are those of :func:`bot.render.digest.render_digest`;
    ``address`` is named in the footer, beside the preferences and unsubscribe links.
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
        return None
    subject = email_subject(view, lang)
    preheader = _preheader(view, lang)
    context = {
        "d": view,
        "sections": view.sections(lang),
        "mode": mode,
        "address": one_line(address),
        "preferences_url": _link(preferences_url, "preferences"),
        "unsubscribe_url": _link(unsubscribe_url, "unsubscribe"),
        "html_lang": _html_lang(lang),
        "title": subject,
        "preheader": preheader,
    }
    return RenderedMail(
        subject=subject,
        html=inline_css(render("email/digest.html.j2", lang, **context)),
        text=render_text("email/digest.txt.j2", lang, **context),
        preheader=preheader,
        entry_keys=tuple(e.key for e in view.entries),
    )


def render_confirm_email(
    *,
    lang: str,
    address: str,
    confirm_url: str,
    topics: Sequence[str] = (),
    days: int = CONFIRM_DAYS,
) -> RenderedMail:
    """The double opt-in mail: one button to ``confirm_url`` (a page whose POST confirms)."""
    subject = t_text("mail.confirm.subject", lang)
    preheader = t_text("mail.confirm.preheader", lang)
    shown = [trim(one_line(x), 32) for x in topics if one_line(x)]
    context = {
        "address": one_line(address),
        "confirm_url": _link(confirm_url, "confirmation"),
        "topics": trim(t_text("digest.topic_sep", lang).join(shown), 300),
        "days": days,
        "html_lang": _html_lang(lang),
        "title": subject,
        "preheader": preheader,
    }
    return RenderedMail(
        subject=subject,
        html=inline_css(render("email/confirm.html.j2", lang, **context)),
        text=render_text("email/confirm.txt.j2", lang, **context),
        preheader=preheader,
    )
