"""`bot preview FILE --channel email`: the digest mail a subscriber with given topics gets.

The mail is rendered by :func:`bot.render.email.render_email_digest` and built by
:func:`bot.mail.message.build_message`, the parts the sender uses, for a placeholder
subscriber (``reader@example.org``). It needs neither BOT_SMTP_URL nor BOT_SECRET_KEY:
the links are signed with :data:`PREVIEW_KEY` — a fixed key that is published here and
therefore no secret, so the links of a preview open nothing on a real site — and with a
clock fixed at the issue's date, so the same file gives the same bytes every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from pydantic import SecretStr

from bot.digest.model import Issue
from bot.mail.address import AddressError
from bot.mail.message import HeaderError, Sender, build_message, make_message_id
from bot.mail.tokens import Tokens
from bot.render.email import EmailRenderError, RenderedMail, render_email_digest
from bot.render.entry import Mode

PREVIEW_ADDRESS: Final = "reader@example.org"
PREVIEW_SUBSCRIBER: Final = 0
# Not a secret: it is here for anyone to read. Tokens signed with it are refused by every
# site whose BOT_SECRET_KEY is its own.
PREVIEW_KEY: Final = SecretStr("bot-preview-key-not-a-secret")
LOCAL_SITE: Final = "http://localhost:8080"
NO_DATE: Final = datetime(2000, 1, 1, tzinfo=UTC)


class PreviewError(ValueError):
    """The mail cannot be previewed with these settings (one sentence)."""


@dataclass(frozen=True, slots=True)
class MailPreview:
    """The rendered parts, and the whole RFC 5322 message as bytes (7-bit, CRLF)."""

    mail: RenderedMail
    eml: bytes


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
    full_text: bool,
) -> MailPreview | None:
    """The digest mail for the placeholder subscriber, ``None`` when no entry matches;
    :class:`PreviewError` when BOT_MAIL_FROM / BOT_MAIL_REPLY_TO cannot be used."""
    sent_at = _sent_at(issue)
    tokens = Tokens(PREVIEW_KEY, clock=sent_at.timestamp)
    site = site.rstrip("/")
    who = PREVIEW_SUBSCRIBER
    try:
        sender = Sender.parse(mail_from, reply_to)
    except AddressError as exc:
        raise PreviewError(str(exc).rstrip(".")) from None
    unsubscribe = f"{site}/unsubscribe/{tokens.make('unsubscribe', who)}"
    try:
        mail = render_email_digest(
            issue,
            lang=lang,
            address=PREVIEW_ADDRESS,
            unsubscribe_url=unsubscribe,
            preferences_url=f"{site}/prefs/{tokens.make('preferences', who)}",
            include=include,
            exclude=exclude,
            mode=mode,
            full_text=full_text,
            issue_url=f"{site}/issues/{issue.date}" if issue.date else None,
        )
    except EmailRenderError as exc:
        raise PreviewError(str(exc)) from None
    if mail is None:
        return None
    domain = sender.domain
    try:
        outgoing = build_message(
            mail,
            sender=sender,
            to=PREVIEW_ADDRESS,
            message_id=make_message_id("digest", issue.date or "undated", who, domain),
            envelope_sender=tokens.verp_address(who, domain),
            unsubscribe_url=unsubscribe,
            # As the sender's: a mail to the VERP address (the bounce receiver reads it).
            unsubscribe_mailto=f"mailto:{tokens.verp_address(who, domain)}?subject=unsubscribe",
            date=sent_at,
        )
    except HeaderError as exc:
        raise PreviewError(f"the mail cannot be built: {exc}") from None
    # The stdlib draws a random MIME boundary; a preview's is derived from the message,
    # so the same file gives the same bytes. "=_" cannot occur in base64 or QP text.
    outgoing.message.set_boundary("=_preview_" + outgoing.message_id.strip("<>").split("@")[0])
    return MailPreview(mail, outgoing.data)
