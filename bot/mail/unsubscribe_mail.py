"""Unsubscribing by mail: the ``mailto:`` of every digest's ``List-Unsubscribe``.

Every digest offers ``<mailto:bounces+<token>@domain?subject=unsubscribe>`` (RFC 2369;
see ``bot.mail.mailer.Mailer.unsubscribe_mailto``). Mail clients that show an
"unsubscribe" button without a one-click https link send exactly that: a plain message
to the subscriber's VERP address whose Subject is ``unsubscribe``. It reaches the same
places as bounces (the SMTP receiver, the IMAP mailbox), so :func:`read_received` is
what both call: a DSN or ARF report is a bounce or complaint
(:func:`bot.mail.bounces.parse_report`); otherwise a message **addressed to** a VERP
address of ours (the SMTP envelope recipient, else ``Delivered-To``/``X-Original-To``/
``To``/``Cc``) whose Subject, decoded and stripped, is ``unsubscribe`` in any case is an
unsubscribe request. Nothing else is: not ``Re: unsubscribe`` (a reply to a mail is no
request), not an automatic message (``Auto-Submitted`` other than ``no``: an
out-of-office reply must not unsubscribe anyone), not a forged token (it names nobody, so
it changes nothing). A VERP token of ours older than bounces accept (30 days) still
counts here: like the https unsubscribe link, the mailto must work from any digest the
reader kept.
"""

from __future__ import annotations

import email
import hashlib
from collections.abc import Sequence
from email import policy
from email.message import Message
from email.utils import getaddresses
from typing import Final

from bot.mail.bounces import Bounce, parse_report
from bot.mail.tokens import VERP_PREFIX, TokenError, Tokens

SUBJECT: Final = "unsubscribe"
RECIPIENT_HEADERS: Final = ("Delivered-To", "X-Original-To", "To", "Cc")
MAX_ADDRESSES: Final = 50  # a request names one address; bound what a stranger can make us check


def _header(message: Message, name: str) -> str:
    try:
        return str(message.get(name) or "")
    except (ValueError, TypeError, IndexError):  # an undecodable header is no request
        return ""


def _addressed_to(message: Message, envelope_recipients: Sequence[str]) -> list[str]:
    found = [str(a) for a in envelope_recipients]
    if not found:
        values: list[str] = []
        for name in RECIPIENT_HEADERS:
            try:
                values.extend(str(v) for v in message.get_all(name) or [])
            except (ValueError, TypeError, IndexError):
                continue
        found = [address for _, address in getaddresses(values)]
    return [a for a in found if a.lower().startswith(VERP_PREFIX)][:MAX_ADDRESSES]


def _subscriber(tokens: Tokens, addresses: Sequence[str]) -> int | None:
    for address in addresses:
        try:
            return tokens.read_verp(address, expires=False)
        except TokenError:
            continue
    return None


def parse_unsubscribe(
    data: bytes, tokens: Tokens, *, envelope_recipients: Sequence[str] = ()
) -> Bounce | None:
    """An unsubscribe request (kind ``unsubscribe``) in ``data``, or None (see the module
    doc). ``subscriber_id`` is None for a request to a forged VERP address."""
    message = email.message_from_bytes(data, policy=policy.default)
    if message.get_content_type() == "multipart/report":
        return None
    if _header(message, "Subject").strip().lower() != SUBJECT:
        return None
    if _header(message, "Auto-Submitted").strip().lower() not in ("", "no"):
        return None
    addresses = _addressed_to(message, envelope_recipients)
    if not addresses:
        return None
    sender = getaddresses([_header(message, "From")])
    who = sender[0][1].lower()[:254] if sender and sender[0][1] else None
    message_id = " ".join(_header(message, "Message-ID").split())[:200] or None
    return Bounce(
        "unsubscribe",
        _subscriber(tokens, addresses),
        who,
        None,
        None,
        "unsubscribe request by mail",
        message_id,
        None,
        hashlib.sha256(data).hexdigest()[:32],
    )


def read_received(
    data: bytes, tokens: Tokens, *, envelope_recipients: Sequence[str] = ()
) -> Bounce | None:
    """What a message received at a bounce address means: a bounce, a complaint, an
    unsubscribe request, or nothing (None)."""
    found = parse_report(data, tokens, envelope_recipients=envelope_recipients)
    if found is not None:
        return found
    return parse_unsubscribe(data, tokens, envelope_recipients=envelope_recipients)
