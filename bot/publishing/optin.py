"""Double opt-in for e-mail subscribers: sign up → one confirmation mail → confirm.

It lives in ``bot.publishing`` because it both writes the store and sends mail through
``bot.mail`` (which never touches the store): the web site, the CLI and later the
demo call it, as they call the publish pipeline.

- :func:`subscribe` creates or refreshes an unconfirmed subscriber and sends ONE
  confirmation mail with a signed link valid for 3 days (``<BOT_PUBLIC_URL>/confirm/<token>``),
  at most one per address per hour. Whatever the address's state, a caller facing the
  public gets the same answer: the outcome's ``public`` text never says whether the
  address was already subscribed.
- :func:`confirm` and :func:`unsubscribe` read a link token (bot.mail.tokens) and change
  the subscriber; a forged, expired or stale link raises :class:`LinkError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.mail.address import AddressError, normalize_address
from bot.mail.mailer import Mailer
from bot.mail.message import HeaderError, build_message, make_message_id
from bot.mail.tokens import ExpiredToken, Purpose, TokenError, Tokens
from bot.render.email import render_confirm_email
from bot.store.base import StoreError, utc_now
from bot.store.chats import Language
from bot.store.database import Database
from bot.store.subscribers import (
    Source,
    Subscriber,
    get_subscriber,
    release_confirmation_mail,
    sign_up,
)
from bot.store.subscribers import confirm as confirm_subscriber
from bot.store.subscribers import unsubscribe as unsubscribe_subscriber
from bot.store.topics import subscriber_topics

SignupStatus = Literal["sent", "throttled", "unchanged"]


class OptInError(Exception):
    """A sign-up we cannot make (a bad address, topic, or e-mail configuration), as one
    sentence; nothing was changed."""


LinkProblem = Literal["forged", "expired", "gone"]


class LinkError(Exception):
    """A confirmation or unsubscribe link we cannot honour, as one sentence for the
    reader; ``kind`` says which (forged or for another page, expired, or for a subscriber
    that is gone or has unsubscribed since), for pages that explain it in their language."""

    def __init__(self, message: str, kind: LinkProblem) -> None:
        super().__init__(message)
        self.kind: LinkProblem = kind


@dataclass(frozen=True, slots=True)
class SignupOutcome:
    """``status``: ``sent`` (the confirmation mail was accepted by the SMTP server),
    ``throttled`` (one went out within the hour: nothing sent), ``unchanged`` (the
    address is confirmed or suppressed: nothing sent, nothing changed). Only a
    maintainer sees ``status``; the public sees the same answer for all three."""

    status: SignupStatus
    address: str


def address_of(raw: str) -> str:
    """The canonical address, or :class:`OptInError` (one sentence)."""
    try:
        return normalize_address(raw)
    except AddressError as exc:
        raise OptInError(str(exc).rstrip(".")) from None


async def subscribe(
    db: Database,
    mailer: Mailer,
    address: str,
    topics: Sequence[str],
    lang: Language,
    source: Source,
    *,
    detail: str | None = None,
) -> SignupOutcome:
    """Sign ``address`` up (unconfirmed) and send it one confirmation mail.

    Raises :class:`OptInError` for a bad address or topic (nothing changed) and when the
    SMTP server refuses or cannot take the mail (the hourly allowance is given back, so
    trying again later works)."""
    normalized = address_of(address)
    wanted = list(topics)

    try:
        done = await db.write(
            lambda conn: sign_up(
                conn, normalized, topics=wanted, language=lang, source=source, detail=detail
            )
        )
    except StoreError as exc:
        raise OptInError(str(exc).rstrip(".")) from None
    subscriber = done.subscriber
    if not done.mail:
        status: SignupStatus = "throttled" if subscriber.status == "unconfirmed" else "unchanged"
        return SignupOutcome(status, normalized)
    try:
        await _send_confirmation(db, mailer, subscriber)
    except BaseException:
        await db.write(lambda conn: release_confirmation_mail(conn, subscriber.id, done.previous))
        raise
    return SignupOutcome("sent", normalized)


async def _send_confirmation(db: Database, mailer: Mailer, subscriber: Subscriber) -> None:
    topics = await subscriber_topics(db.reader, subscriber.id)
    shown = [("-" if t.exclude else "") + t.display for t in topics]
    mail = render_confirm_email(
        lang=subscriber.language,
        address=subscriber.address,
        confirm_url=mailer.link("confirm", subscriber.id),
        topics=shown,
    )
    domain = mailer.sender.domain
    try:
        outgoing = build_message(
            mail,
            sender=mailer.sender,
            to=subscriber.address,
            message_id=make_message_id("confirm", utc_now(), subscriber.id, domain),
            envelope_sender=mailer.tokens.verp_address(subscriber.id, domain),
        )
    except HeaderError as exc:  # pragma: no cover - addresses are normalized first
        raise OptInError(f"the confirmation mail cannot be built: {exc}") from None
    outcome = await mailer.pool.deliver(outgoing, mailer.signer)
    if outcome.sent or outcome.uncertain:
        return
    answer = f"{outcome.code} {outcome.text}" if outcome.code else outcome.text
    what = "refused" if outcome.status == "bounce" else "did not take (try again later)"
    raise OptInError(
        f"the mail server {what} the confirmation mail to {subscriber.address}: {answer}".rstrip(
            ": "
        )
    )


def _subscriber_of(mailer_tokens: Tokens, purpose: Purpose, token: str) -> int:
    try:
        subject = mailer_tokens.read(purpose, token)
    except ExpiredToken as exc:
        raise LinkError(str(exc), "expired") from None
    except TokenError as exc:
        raise LinkError(str(exc), "forged") from None
    if not isinstance(subject, int):
        raise LinkError("This link is not valid: it could not be read.", "forged")
    return subject


async def check_link(db: Database, tokens: Tokens, purpose: Purpose, token: str) -> Subscriber:
    """The subscriber a link is for (read-only, for the GET page), or :class:`LinkError`."""
    subscriber_id = _subscriber_of(tokens, purpose, token)
    subscriber = await get_subscriber(db.reader, subscriber_id)
    if subscriber is None:
        raise LinkError("This link is not valid any more: the address is not on our list.", "gone")
    return subscriber


async def confirm(db: Database, tokens: Tokens, token: str) -> Subscriber:
    """Confirm the subscriber of a confirmation link (idempotent), or :class:`LinkError`."""
    subscriber_id = _subscriber_of(tokens, "confirm", token)
    done = await db.write(lambda conn: confirm_subscriber(conn, subscriber_id))
    if done is None:
        raise LinkError(
            "This link cannot confirm the address any more: it was unsubscribed or removed"
            " since; please sign up again.",
            "gone",
        )
    return done


async def unsubscribe(
    db: Database, tokens: Tokens, token: str, reason: str = "unsubscribe link"
) -> Subscriber:
    """Unsubscribe the subscriber of an unsubscribe link (idempotent), or :class:`LinkError`."""
    subscriber_id = _subscriber_of(tokens, "unsubscribe", token)
    done = await db.write(lambda conn: unsubscribe_subscriber(conn, subscriber_id, reason))
    if done is None:
        raise LinkError("This link is not valid any more: the address is not on our list.", "gone")
    return done
