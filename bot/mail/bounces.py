"""Bounces (RFC 3464 DSNs) and complaints (RFC 5965 ARF reports), parsed with the stdlib.

:func:`parse_report` reads one received message and says what it means for one
subscriber:

- ``multipart/report; report-type=delivery-status``: for each recipient block,
  ``Action: failed`` with a ``5.x.x`` status is a **hard** bounce; ``failed`` with
  ``4.x.x`` (or none) and ``Action: delayed`` are **soft**; ``delivered``/``relayed``/
  ``expanded`` are not bounces (``None``).
- ``multipart/report; report-type=feedback-report`` is a **complaint** (``Feedback-Type:
  abuse``, ``fraud``, ``virus``, ``other``; ``not-spam`` is not one).
- anything else is ``None``: out-of-office replies also come back to the envelope sender
  and must not count against a reader.

The subscriber is found from the VERP address ``bounces+<token>@domain`` — in the SMTP
envelope recipients (the strongest evidence), the report's own headers, or the returned
original message, whether it comes back whole (``message/rfc822``) or as headers only
(``text/rfc822-headers``, which listmonk misses: its #492). Forged or expired tokens
identify nobody.
"""

from __future__ import annotations

import email
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser
from email.utils import getaddresses
from typing import Final, Literal

from bot.mail.tokens import TokenError, Tokens

Kind = Literal["hard", "soft", "complaint", "unsubscribe"]
MAX_DIAGNOSTIC: Final = 300
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_VERP = re.compile(r"bounces\+[A-Za-z0-9-]{1,60}@[A-Za-z0-9.-]+", re.IGNORECASE)
_COMPLAINTS = {"abuse", "fraud", "virus", "other"}


@dataclass(frozen=True, slots=True)
class Bounce:
    """What a report says about one of our messages.

    ``subscriber_id`` is ``None`` when no valid VERP token was found (the caller can
    still log it); ``recipient`` is the address that failed (or complained), ``status``
    the enhanced status code, ``diagnostic`` the remote server's words (bounded).
    """

    kind: Kind
    subscriber_id: int | None
    recipient: str | None
    status: str | None
    action: str | None
    diagnostic: str
    message_id: str | None = None
    feedback_type: str | None = None
    report_id: str | None = None  # a digest of the report's bytes: the same report twice

    @property
    def key(self) -> str:
        """Identifies what was reported, so recording it twice changes nothing: one of
        our messages counts once per kind (a delay warning, then the final failure, of
        the same mail are one soft and one hard), else the report's own bytes."""
        who = "-" if self.subscriber_id is None else str(self.subscriber_id)
        if self.message_id:
            return f"{who}:{self.kind}:{self.message_id}"[:400]
        if self.report_id:
            return f"{who}:{self.kind}:report:{self.report_id}"
        fields = f"{self.recipient}|{self.status}|{self.action}|{self.diagnostic}"
        return f"{who}:{self.kind}:fields:{hashlib.sha256(fields.encode()).hexdigest()[:32]}"

    @property
    def suppresses(self) -> bool:
        """Hard bounces and complaints stop mail at once; soft ones are counted (an
        unsubscribe request, bot.mail.unsubscribe_mail, unsubscribes: no suppression)."""
        return self.kind in ("hard", "complaint")


def _clean(value: object, limit: int = MAX_DIAGNOSTIC) -> str:
    return " ".join(str(value or "").split())[:limit]


def _typed_address(value: object) -> str | None:
    """``rfc822; user@example.com`` → ``user@example.com``."""
    text = _clean(value)
    if not text:
        return None
    _, _, address = text.rpartition(";")
    return address.strip().strip("<>").lower() or None


def _fields(part: Message) -> list[Message]:
    """The field blocks of a ``message/delivery-status`` or ``message/feedback-report``."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    if isinstance(payload, str):
        text = payload.replace("\r\n", "\n")
        return [HeaderParser().parsestr(block + "\n") for block in re.split(r"\n\s*\n", text)]
    return []


def _returned_headers(report: Message) -> Message | None:
    """The headers of our original message inside the report, however it came back."""
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
        if kind == "text/rfc822-headers":
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                return BytesHeaderParser().parsebytes(raw)
    return None


def _candidates(
    envelope_recipients: Iterable[str], headers_seen: Iterable[Message | None]
) -> list[str]:
    found = list(envelope_recipients)
    for headers in headers_seen:
        if headers is None:
            continue
        for name in ("Delivered-To", "X-Original-To", "To", "Return-Path", "Sender"):
            found.extend(str(v) for v in headers.get_all(name) or [])
        for name, value in headers.items():
            found.extend(_VERP.findall(f"{name}: {value}"))
    return found


def find_subscriber(
    tokens: Tokens,
    envelope_recipients: Iterable[str] = (),
    headers: Iterable[Message | None] = (),
) -> int | None:
    """The subscriber of the first valid VERP address: in the envelope recipients, then
    in ``headers`` (the report's, its status or feedback fields — ``X-Postfix-Sender``,
    ``Original-Mail-From`` — and the returned original's), or None."""
    for candidate in _candidates(envelope_recipients, headers):
        for address in _VERP.findall(candidate):
            try:
                return tokens.read_verp(address)
            except TokenError:
                continue
    return None


def _status(value: object) -> str | None:
    match = _STATUS.search(_clean(value))
    return ".".join(match.groups()) if match else None


def _dsn(report: Message) -> tuple[Kind | None, str | None, str | None, str | None, str]:
    status_part = next(
        (p for p in report.walk() if p.get_content_type() == "message/delivery-status"), None
    )
    if status_part is None:
        return None, None, None, None, ""
    blocks = _fields(status_part)
    best: tuple[int, Kind | None, str | None, str | None, str | None, str] = (
        0, None, None, None, None, "",
    )  # fmt: skip
    for block in blocks[1:] or blocks:
        action = _clean(block.get("Action")).lower() or None
        if action is None:
            continue
        status = _status(block.get("Status")) or _status(block.get("Diagnostic-Code"))
        if action == "failed":
            kind: Kind | None = "hard" if status and status.startswith("5") else "soft"
        elif action == "delayed":
            kind = "soft"
        else:
            kind = None
        rank = {"hard": 3, "soft": 2, None: 1}[kind]
        if rank > best[0]:
            recipient = _typed_address(block.get("Final-Recipient")) or _typed_address(
                block.get("Original-Recipient")
            )
            diagnostic = _clean(block.get("Diagnostic-Code"))
            best = (rank, kind, recipient, status, action, diagnostic)
    _, kind, recipient, status, action, diagnostic = best
    return kind, recipient, status, action, diagnostic


def _arf(report: Message) -> tuple[str | None, str | None]:
    part = next(
        (p for p in report.walk() if p.get_content_type() == "message/feedback-report"), None
    )
    if part is None:
        return None, None
    fields = _fields(part)
    block = fields[0] if fields else Message()
    feedback = _clean(block.get("Feedback-Type"), 40).lower() or "abuse"
    recipient = _typed_address(block.get("Original-Rcpt-To"))
    return feedback, recipient


def parse_report(
    data: bytes | Message,
    tokens: Tokens,
    *,
    envelope_recipients: Sequence[str] = (),
) -> Bounce | None:
    """What ``data`` (a received message) reports about one of our mails, or ``None``.

    ``envelope_recipients`` are the SMTP ``RCPT TO`` addresses it was delivered to (a DSN
    goes to our VERP envelope sender); pass them when known.
    """
    report = (
        email.message_from_bytes(data, policy=policy.compat32) if isinstance(data, bytes) else data
    )
    raw = data if isinstance(data, bytes) else data.as_bytes()
    report_id = hashlib.sha256(raw).hexdigest()[:32]
    if report.get_content_type() != "multipart/report":
        return None
    report_type = str(report.get_param("report-type") or "").lower()
    original = _returned_headers(report)
    blocks = [
        block
        for part in report.walk()
        if part.get_content_type() in ("message/delivery-status", "message/feedback-report")
        for block in _fields(part)
    ]
    subscriber = find_subscriber(tokens, envelope_recipients, [report, *blocks, original])
    message_id = (_clean(original.get("Message-ID"), 200) or None) if original is not None else None
    if report_type == "feedback-report":
        feedback, recipient = _arf(report)
        if feedback is None or feedback not in _COMPLAINTS:
            return None
        if recipient is None and original is not None:
            recipient = _first_address(original.get_all("To") or [])
        return Bounce(
            "complaint", subscriber, recipient, None, None, "", message_id, feedback, report_id
        )
    if report_type == "delivery-status":
        kind, recipient, status, action, diagnostic = _dsn(report)
        if kind is None:
            return None
        return Bounce(
            kind, subscriber, recipient, status, action, diagnostic, message_id, None, report_id
        )
    return None


def _first_address(values: Sequence[str]) -> str | None:
    pairs = getaddresses([str(v) for v in values])
    return pairs[0][1].lower() if pairs and pairs[0][1] else None
