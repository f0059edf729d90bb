"""One subscriber's digest mail: :func:`digest_message`, the one place it is built.

The digest sender, `bot email test`, `bot preview --channel email --format eml` and the
demo all call it, so every mail carries the same headers: a ``Message-ID`` derived from
(issue, subscriber) — a retried send has the same one —, the subscriber's VERP envelope
sender (``Return-Path``), ``List-Unsubscribe`` with the signed https link and a mailto,
and RFC 8058's One-Click.

Rendering (Jinja2, then css-inline over the whole HTML) is the expensive part and depends
only on (issue revision, language, summary mode, topics). :class:`MailCache` keeps it
per such key, rendered once with placeholder links and address; each subscriber's mail
then only substitutes its own links and address. 10,000 subscribers with a dozen
distinct topic sets cost a dozen renders.
The sender sends :func:`bot.delivery.email_bytes.digest_bytes`: the same message,
serialized from a template per cache key.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Final

from bot.digest.model import Issue
from bot.mail.mailer import Mailer
from bot.mail.message import Outgoing, build_message, make_message_id
from bot.render.digest import Tags
from bot.render.email import RenderedMail, render_email_digest
from bot.store.topics import Topic

if TYPE_CHECKING:
    from bot.delivery.email_bytes import Template
from bot.topics.filter import term_label

ADDRESS: Final = "reader-7f3a9c51@placeholder.invalid"
UNSUBSCRIBE: Final = "https://placeholder.invalid/unsubscribe-7f3a9c51"
_PREFERENCES: Final = "https://placeholder.invalid/preferences-7f3a9c51"
CacheKey = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Reader:
    """Who a digest mail is for: the subscriber's id (links, Message-ID, VERP), address,
    language, summary mode and topics (``(term, display, exclude)``; empty = everything)."""

    id: int
    address: str
    language: str = "zh"
    summary_mode: str = "full"
    topics: tuple[tuple[str, str, bool], ...] = ()


class MailCache:
    """Rendered mails with placeholder links, per (revision, language, mode, topics); the
    least recently used are dropped beyond ``size``. ``renders`` counts real renders."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.renders = 0
        self._items: OrderedDict[CacheKey, RenderedMail | None] = OrderedDict()
        self.templates: dict[CacheKey, Template | None] = {}  # bot.delivery.email_bytes

    def get(self, key: CacheKey) -> tuple[bool, RenderedMail | None]:
        if key in self._items:
            self._items.move_to_end(key)
            return True, self._items[key]
        return False, None

    def put(self, key: CacheKey, mail: RenderedMail | None) -> None:
        self.renders += 1
        self._items[key] = mail
        while len(self._items) > self.size:
            dropped, _ = self._items.popitem(last=False)
            self.templates.pop(dropped, None)


def _render(
    issue: Issue,
    reader: Reader,
    tags: Tags | None,
    links: tuple[str, str, str],
    site: str,
) -> RenderedMail | None:
    """``links``: the address, unsubscribe and preferences URLs shown; ``site``: the
    public site, whose issue page is the mail's "read the whole issue" link (always the
    latest revision: a mail cannot be edited, the page can)."""
    address, unsub, prefs = links
    lang = reader.language
    include = [term for term, _, exclude in reader.topics if not exclude]
    exclude = [term for term, _, ex in reader.topics if ex]
    labels = [
        *(term_label(term, lang, shown) for term, shown, ex in reader.topics if not ex),
        *(f"-{term_label(term, lang, shown)}" for term, shown, ex in reader.topics if ex),
    ]
    return render_email_digest(
        issue,
        lang=lang,
        address=address,
        unsubscribe_url=unsub,
        preferences_url=prefs,
        include=include,
        exclude=exclude,
        topic_labels=labels,
        tags=tags,
        mode=reader.summary_mode,  # type: ignore[arg-type]
        issue_url=f"{site}/issues/{issue.date}" if issue.date else None,
    )


def _personal(mail: RenderedMail, address: str, unsub: str, prefs: str) -> RenderedMail | None:
    """The cached mail with this reader's address and links, or None if a placeholder is
    missing from a part (a template that transforms them): then render directly."""
    pairs = ((ADDRESS, address), (UNSUBSCRIBE, unsub), (_PREFERENCES, prefs))
    body, text = mail.html, mail.text
    for placeholder, value in pairs:
        if placeholder not in body or placeholder not in text:
            return None
        body = body.replace(placeholder, html.escape(value, quote=True))
        text = text.replace(placeholder, value)
    if any(p in mail.subject or p in mail.preheader for p, _ in pairs):
        return None
    return replace(mail, html=body, text=text)


def render_for(
    issue: Issue,
    reader: Reader,
    mailer: Mailer,
    *,
    revision: object = None,
    tags: Tags | None = None,
    cache: MailCache | None = None,
) -> RenderedMail | None:
    """The rendered mail ``reader`` gets (None: no entry matches their topics)."""
    unsub = mailer.link("unsubscribe", reader.id)
    prefs = mailer.link("preferences", reader.id)
    own = (reader.address, unsub, prefs)
    if cache is None:
        return _render(issue, reader, tags, own, mailer.public_url)
    key: CacheKey = (issue.date, revision, reader.language, reader.summary_mode, reader.topics)
    hit, mail = cache.get(key)
    if not hit:
        mail = _render(issue, reader, tags, (ADDRESS, UNSUBSCRIBE, _PREFERENCES), mailer.public_url)
        cache.put(key, mail)
    if mail is None:
        return None
    personal = _personal(mail, reader.address, unsub, prefs)
    return personal or _render(issue, reader, tags, own, mailer.public_url)


def digest_message(
    issue: Issue,
    reader: Reader,
    mailer: Mailer,
    *,
    revision: object = None,
    tags: Tags | None = None,
    cache: MailCache | None = None,
    date: datetime | None = None,
) -> Outgoing | None:
    """The MIME message of ``issue`` for ``reader``, ready for ``mailer.pool.deliver``;
    None when none of the issue's entries matches their topics.

    ``revision``: anything that changes when the issue is re-published (the cache key);
    ``tags``: the entries' stored catalogue topics (bot.store.entry_topics.issue_tags);
    ``cache``: share one :class:`MailCache` between the mails of a run. Raises
    :class:`bot.mail.message.HeaderError` if a header cannot be built safely.
    """
    mail = render_for(issue, reader, mailer, revision=revision, tags=tags, cache=cache)
    if mail is None:
        return None
    domain = mailer.sender.domain
    return build_message(
        mail,
        sender=mailer.sender,
        to=reader.address,
        message_id=make_message_id("digest", str(issue.date), reader.id, domain),
        envelope_sender=mailer.tokens.verp_address(reader.id, domain),
        unsubscribe_url=mailer.link("unsubscribe", reader.id),
        unsubscribe_mailto=mailer.unsubscribe_mailto(reader.id),
        date=date,
        base64=True,
    )


def reader_topics(topics: Sequence[Topic]) -> tuple[tuple[str, str, bool], ...]:
    """``(term, display, exclude)`` of stored topics, for :class:`Reader`."""
    return tuple((t.term, t.display, t.exclude) for t in topics)
