"""A digest mail as bytes, fast: :func:`digest_bytes`, what the e-mail sender sends.

Building and serializing an ``EmailMessage`` costs a few milliseconds per mail (the
stdlib parses and folds every header), more than ``BOT_MAIL_RATE`` allows on a small
machine. :func:`digest_bytes` therefore serializes
:func:`bot.delivery.email_message.digest_message`'s message once per cache key, built
by ``build_message`` with placeholder recipient data, and fills in each subscriber's
``To``, ``Message-ID``, VERP ``Return-Path``, ``List-Unsubscribe`` and ``Date`` and the
base64 of their two parts. The first mail of each template is also built the slow way
and compared byte for byte (Date and MIME boundary aside); a template that differs is
dropped and every mail of its key is built the slow way. Values that are not plain
ASCII header text take the slow way too.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Final

from bot.delivery.email_message import (
    ADDRESS,
    UNSUBSCRIBE,
    CacheKey,
    MailCache,
    Reader,
    digest_message,
    render_for,
)
from bot.digest.model import Issue
from bot.mail.mailer import Mailer
from bot.mail.message import POLICY, build_message, make_message_id
from bot.render.digest import Tags
from bot.render.email import RenderedMail

_TAG: Final = "placeholder7f3a9c51"
_TEXT: Final = "text7f3a9c51"
_HTML: Final = "html7f3a9c51"
_SAFE: Final = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@:;,<>()\[\] -]+$")


def _b64(text: str) -> bytes:
    """``text`` as the SMTP policy's base64 body: CRLF lines, 57 bytes per encoded line."""
    data = b"\r\n".join(text.encode("utf-8").splitlines()) + b"\r\n"
    step = (POLICY.max_line_length or 78) // 4 * 3
    return b"".join(
        binascii.b2a_base64(data[i : i + step])[:-1] + b"\r\n" for i in range(0, len(data), step)
    )


@dataclass(frozen=True, slots=True)
class Prepared:
    """A digest mail as bytes for ``SmtpPool.send(data, envelope_sender, recipient)``."""

    data: bytes
    envelope_sender: str
    recipient: str
    message_id: str


@dataclass(frozen=True, slots=True)
class Template:
    head: bytes  # up to the text part's base64 (placeholder headers, Date of the build)
    middle: bytes  # between the two parts
    tail: bytes  # after the HTML part
    date: bytes
    checked: bool = False


def _template(issue: Issue, mail: RenderedMail, mailer: Mailer) -> Template | None:
    domain = mailer.sender.domain
    placeholder = replace(mail, text=_TEXT, html=_HTML)
    date = datetime.now(UTC)
    built = build_message(
        placeholder,
        sender=mailer.sender,
        to=ADDRESS,
        message_id=f"<digest.{_TAG}@{domain}>",
        envelope_sender=f"bounces+{_TAG}@{domain}",
        unsubscribe_url=UNSUBSCRIBE,
        unsubscribe_mailto=f"mailto:bounces+{_TAG}@{domain}?subject=unsubscribe",
        date=date,
        base64=True,
    ).data
    text, body = _b64(_TEXT), _b64(_HTML)
    if built.count(text) != 1 or built.count(body) != 1:
        return None
    head, rest = built.split(text)
    middle, tail = rest.split(body)
    stamp = format_datetime(date).encode()
    if head.count(b"\r\nDate: " + stamp + b"\r\n") != 1:
        return None
    return Template(head, middle, tail, stamp)


def digest_bytes(
    issue: Issue,
    reader: Reader,
    mailer: Mailer,
    *,
    revision: object = None,
    tags: Tags | None = None,
    cache: MailCache,
) -> Prepared | None:
    """:func:`digest_message`'s mail for ``reader`` serialized, from a template cached per
    (revision, language, mode, topics) (see the module doc); None if nothing matches."""
    key: CacheKey = (issue.date, revision, reader.language, reader.summary_mode, reader.topics)
    mail = render_for(issue, reader, mailer, revision=revision, tags=tags, cache=cache)
    if mail is None:
        return None
    domain = mailer.sender.domain
    message_id = make_message_id("digest", str(issue.date), reader.id, domain)
    verp = mailer.tokens.verp_address(reader.id, domain)
    unsub = mailer.link("unsubscribe", reader.id)
    if key not in cache.templates:
        cache.templates[key] = _template(issue, mail, mailer)
    template = cache.templates[key]
    if template is None or not all(_SAFE.match(v) for v in (reader.address, unsub, verp)):
        return _slow(issue, reader, mailer, revision=revision, tags=tags, cache=cache)
    now = format_datetime(datetime.now(UTC)).encode()
    head = (
        template.head.replace(b"Date: " + template.date, b"Date: " + now, 1)
        .replace(ADDRESS.encode(), reader.address.encode())
        .replace(f"<digest.{_TAG}@{domain}>".encode(), message_id.encode())
        .replace(f"bounces+{_TAG}@{domain}".encode(), verp.encode())
        .replace(UNSUBSCRIBE.encode(), unsub.encode())
    )
    data = head + _b64(mail.text) + template.middle + _b64(mail.html) + template.tail
    prepared = Prepared(data, verp, reader.address, message_id)
    if not template.checked:
        slow = _slow(issue, reader, mailer, revision=revision, tags=tags, cache=cache)
        same = slow is not None and _normalized(slow.data) == _normalized(data)
        cache.templates[key] = replace(template, checked=True) if same else None
        return prepared if same else slow
    return prepared


_DATE = re.compile(rb"\r\nDate: [^\r]*\r\n")
_BOUNDARY = re.compile(rb'boundary="([^"]+)"')


def _normalized(data: bytes) -> bytes:
    """``data`` without what differs between two builds of one mail: the Date and the
    MIME boundary (random per message)."""
    data = _DATE.sub(b"\r\nDate: -\r\n", data, count=1)
    found = _BOUNDARY.search(data)
    return data.replace(found.group(1), b"-") if found else data


def _slow(
    issue: Issue,
    reader: Reader,
    mailer: Mailer,
    *,
    revision: object,
    tags: Tags | None,
    cache: MailCache,
) -> Prepared | None:
    built = digest_message(issue, reader, mailer, revision=revision, tags=tags, cache=cache)
    if built is None:
        return None
    return Prepared(built.data, built.envelope_sender, built.recipient, built.message_id)
