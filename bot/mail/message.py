"""A rendered mail as the MIME message we send, with every header a bulk sender needs.

- ``multipart/alternative`` (text, then HTML) built by the stdlib :class:`EmailMessage`
  with :data:`POLICY`: ``cte_type="7bit"`` so every part goes out base64 or
  quoted-printable — the default policy picks raw ``8bit`` for UTF-8 bodies, which a
  relay without 8BITMIME may mangle — CRLF line ends and lines folded at 78.
- Headers go through the policy and :class:`email.headerregistry.Address`, never through
  string concatenation: a CR or LF in a display name or subject is refused
  (:class:`HeaderError`), non-ASCII text is RFC 2047 encoded.
- ``Message-ID`` is derived from (kind, issue, subscriber): a retried send carries the
  same ID, so a receiver that got the first attempt can drop the second.
- ``List-Unsubscribe`` carries an https **and** a mailto URI, with RFC 8058's
  ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``; ``List-Id`` names the list.
- The envelope sender is the subscriber's VERP address (``bounces+<token>@domain``),
  returned for SMTP's ``MAIL FROM`` and written as ``Return-Path``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Final

from bot.mail.address import AddressError, parse_mailbox
from bot.mail.dkim import DkimSigner
from bot.render.email import RenderedMail
from bot.render.entry import safe_url

# refold_source="none": a header stored raw (List-Unsubscribe, folded by us) is written
# as it is; every other header is a parsed object that folds itself as before.
POLICY: Final = policy.SMTP.clone(cte_type="7bit", max_line_length=78, refold_source="none")
ONE_CLICK: Final = "List-Unsubscribe=One-Click"
# CR, LF and every other character str.splitlines() breaks at (the policy refuses those
# with a bare ValueError), and the rest of the C0/C1 controls.
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_URI_UNSAFE = re.compile(r"[\s<>,\"]")
_LIST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,200}[a-z0-9])?$")


class HeaderError(ValueError):
    """A header value that would change the message's structure (CR/LF) or is malformed."""


@dataclass(frozen=True, slots=True)
class Sender:
    """Who our mail is from: ``From``, optional ``Reply-To``, and the ``List-Id``.

    ``list_id`` is the list's identifier (a dotted label, RFC 2919), by default
    ``digest.<domain of From>``; ``list_name`` is shown before it.
    """

    address: Address
    reply_to: Address | None = None
    list_id: str = ""
    list_name: str = ""

    @classmethod
    def parse(
        cls, mail_from: str, reply_to: str | None = None, *, list_id: str | None = None
    ) -> Sender:
        """From ``BOT_MAIL_FROM`` (``嵌入式AI简报 <digest@example.org>``) and
        ``BOT_MAIL_REPLY_TO``; :class:`bot.mail.address.AddressError` when one is bad."""
        address = parse_mailbox(mail_from)
        reply = parse_mailbox(reply_to) if reply_to else None
        label = (list_id or f"digest.{address.domain}").lower()
        if not _LIST_LABEL.match(label) or "." not in label:
            raise AddressError(
                f"The list id {label!r} must be a dotted name like digest.example.org."
            )
        return cls(address, reply, label, address.display_name)

    @property
    def domain(self) -> str:
        return self.address.domain


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message ready for SMTP: the bytes to send (``data``) go with ``envelope_sender``
    as ``MAIL FROM`` and ``recipient`` as the only ``RCPT TO``."""

    message: EmailMessage
    envelope_sender: str
    recipient: str
    message_id: str

    @property
    def data(self) -> bytes:
        """The message as bytes (CRLF, 7-bit), unsigned."""
        return self.message.as_bytes(policy=POLICY)

    def payload(self, signer: DkimSigner | None = None) -> bytes:
        """What SMTP's DATA carries: :attr:`data`, DKIM-signed when a signer is configured."""
        data = self.data
        return signer.sign(data) if signer is not None else data


def make_message_id(kind: str, issue: str, subscriber: int | str, domain: str) -> str:
    """``<kind.hash@domain>``, the same for the same (kind, issue, subscriber)."""
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", kind):
        raise HeaderError("a message kind is a short lower-case word")
    digest = hashlib.sha256(f"{kind}\0{issue}\0{subscriber}".encode()).hexdigest()[:32]
    return f"<{kind}.{digest}@{domain}>"


LOCAL_HTTP: Final = (
    "http://127.0.0.1:",
    "http://127.0.0.1/",
    "http://localhost:",
    "http://localhost/",
)


def _no_crlf(value: str, what: str) -> str:
    if _BREAKS.search(value):
        raise HeaderError(f"the {what} contains a line break or a control character")
    return value


def local_http(url: str) -> bool:
    """An http URL on this machine (tests, `bot demo`): mail links may use it; a public
    site's links must be https (RFC 8058 one-click unsubscribe requires it)."""
    return url.lower().startswith(LOCAL_HTTP)


def _uri(value: str, scheme: str, what: str) -> str:
    value = _no_crlf(value.strip(), what)
    if scheme == "https:" and local_http(value):
        scheme = "http:"
    if not value.lower().startswith(scheme) or _URI_UNSAFE.search(value) or not value.isascii():
        raise HeaderError(f"the {what} must be a {scheme} URI without spaces, <, > or commas")
    if scheme.startswith("http") and safe_url(value) is None:
        raise HeaderError(f"the {what} is not a usable https URL")
    return value


def build_message(
    mail: RenderedMail,
    *,
    sender: Sender,
    to: str,
    to_name: str = "",
    message_id: str,
    envelope_sender: str,
    unsubscribe_url: str | None = None,
    unsubscribe_mailto: str | None = None,
    date: datetime | None = None,
    base64: bool = False,
) -> Outgoing:
    """``mail`` for the subscriber ``to`` (a normalized address).

    A digest passes ``unsubscribe_url`` (the RFC 8058 one-click https endpoint) and
    ``unsubscribe_mailto`` together; a confirmation mail passes neither (there is
    nothing to unsubscribe from yet). ``base64``: encode both parts as base64 (C-fast,
    for bulk sends) instead of letting the policy choose (it may pick quoted-printable,
    encoded in pure Python: several milliseconds for a long digest).
    """
    if (unsubscribe_url is None) != (unsubscribe_mailto is None):
        raise HeaderError("List-Unsubscribe needs both an https and a mailto URI")
    msg = EmailMessage(policy=POLICY)
    try:
        msg["From"] = sender.address
        msg["To"] = Address(display_name=_no_crlf(to_name, "recipient's name"), addr_spec=to)
        if sender.reply_to is not None:
            msg["Reply-To"] = sender.reply_to
    except (ValueError, IndexError) as exc:  # headerregistry refuses CR/LF and bad specs
        raise HeaderError(f"bad address header: {exc}") from None
    msg["Subject"] = _no_crlf(mail.subject, "subject")
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    msg["Message-ID"] = _no_crlf(message_id, "Message-ID")
    name = _no_crlf(sender.list_name, "list name").replace('"', "")
    msg["List-Id"] = (
        f'"{name}" <{sender.list_id}>'
        if name.isascii() and name
        else (f"{name} <{sender.list_id}>" if name else f"<{sender.list_id}>")
    )
    if unsubscribe_url is not None and unsubscribe_mailto is not None:
        https = _uri(unsubscribe_url, "https:", "unsubscribe URL")
        mailto = _uri(unsubscribe_mailto, "mailto:", "unsubscribe mailto")
        # Raw, one URI per line: the policy would turn a URI longer than a line (a signed
        # token) into RFC 2047 encoded-words, which no mail client reads as a URI.
        msg.set_raw("List-Unsubscribe", f"<{https}>,{POLICY.linesep} <{mailto}>")
        msg["List-Unsubscribe-Post"] = ONE_CLICK
    msg["Return-Path"] = f"<{_no_crlf(envelope_sender, 'envelope sender')}>"
    cte = "base64" if base64 else None
    msg.set_content(mail.text, subtype="plain", charset="utf-8", cte=cte)
    msg.add_alternative(mail.html, subtype="html", charset="utf-8", cte=cte)
    return Outgoing(msg, envelope_sender, to, message_id)
