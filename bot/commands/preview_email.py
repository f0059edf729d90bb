"""`bot preview FILE --channel email`: the digest mail a subscriber with given topics gets.

The mail is :func:`bot.delivery.email_message.digest_message`'s — the one builder the
sender uses — for a placeholder subscriber (``reader@example.org``). It needs neither
BOT_SMTP_URL nor BOT_SECRET_KEY: the links are signed with :data:`PREVIEW_KEY` — a
fixed key that is published here and therefore no secret, so the links of a preview
open nothing on a real site — and with a clock fixed at the issue's date, so the same
file gives the same bytes every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Final

from pydantic import SecretStr

from bot.delivery.email_message import Reader, digest_message
from bot.digest.model import Issue
from bot.mail.address import AddressError
from bot.mail.mailer import Mailer
from bot.mail.message import HeaderError, Sender
from bot.mail.smtp import SmtpPool, SmtpUrl
from bot.mail.tokens import Tokens
from bot.render.email import EmailRenderError
from bot.render.entry import Mode
from bot.topics.filter import subscription_term

PREVIEW_ADDRESS: Final = "reader@example.org"
PREVIEW_SUBSCRIBER: Final = 0
# Not a secret: it is here for anyone to read. Tokens signed with it are refused by every
# site whose BOT_SECRET_KEY is its own.
PREVIEW_KEY: Final = SecretStr("bot-preview-key-not-a-secret")
LOCAL_SITE: Final = "http://localhost:8080"
NO_DATE: Final = datetime(2000, 1, 1, tzinfo=UTC)
NO_SERVER: Final = "smtp://127.0.0.1:25"


class PreviewError(ValueError):
    """The mail cannot be previewed with these settings (one sentence)."""


@dataclass(frozen=True, slots=True)
class MailPreview:
    """The message (its subject and parts), and all of it as bytes (7-bit, CRLF)."""

    message: EmailMessage
    eml: bytes

    def part(self, subtype: str) -> str:
        body = self.message.get_body((subtype,))
        return str(body.get_content()) if body is not None else ""


def _sent_at(issue: Issue) -> datetime:
    if issue.date is None:
        return NO_DATE
    try:
        day = datetime.strptime(issue.date, "%Y-%m-%d")
    except ValueError:
        return NO_DATE
    return day.replace(tzinfo=UTC)


def preview_mail(
    issue: Issue,
    *,
    site: str,
    mail_from: str,
    reply_to: str | None,
    lang: str,
    include: list[str],
    exclude: list[str],
    mode: Mode,
) -> MailPreview | None:
    """The digest mail for the placeholder subscriber, ``None`` when no entry matches;
    :class:`PreviewError` when BOT_MAIL_FROM / BOT_MAIL_REPLY_TO cannot be used."""
    sent_at = _sent_at(issue)
    try:
        sender = Sender.parse(mail_from, reply_to)
    except AddressError as exc:
        raise PreviewError(str(exc).rstrip(".")) from None
    mailer = Mailer(
        sender=sender,
        pool=SmtpPool(SmtpUrl.parse(NO_SERVER)),  # never opened: a preview sends nothing
        tokens=Tokens(PREVIEW_KEY, clock=sent_at.timestamp),
        public_url=site,
    )
    topics = (
        *((subscription_term(t), t, False) for t in include),
        *((subscription_term(t), t, True) for t in exclude),
    )
    reader = Reader(PREVIEW_SUBSCRIBER, PREVIEW_ADDRESS, lang, mode, topics)
    try:
        outgoing = digest_message(issue, reader, mailer, date=sent_at)
    except (EmailRenderError, HeaderError) as exc:
        raise PreviewError(f"the mail cannot be built: {exc}") from None
    if outgoing is None:
        return None
    # The stdlib draws a random MIME boundary; a preview's is derived from the message,
    # so the same file gives the same bytes. "=_" cannot occur in base64 or QP text.
    outgoing.message.set_boundary("=_preview_" + outgoing.message_id.strip("<>").split("@")[0])
    return MailPreview(outgoing.message, outgoing.data)
