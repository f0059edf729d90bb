"""What a failed Bot API call means for the delivery row that caused it.

aiogram turns Telegram's answers into exceptions (see aiogram/exceptions.py and
``BaseSession.check_response``); this module maps each to one decision the
sender acts on. Importing it imports aiogram, so only the sender does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiohttp import ClientConnectorError

from bot.delivery.answers import scrub
from bot.delivery.client import ConnectFailed


class Kind(Enum):
    FLOOD = "flood"  # 429: pause the chat for retry_after (see ratelimit), resend the row
    MIGRATED = "migrated"  # group became a supergroup: move the chat, resend there
    GONE = "gone"  # 403: blocked, kicked, deactivated: chat inactive, its rows cancelled
    NOT_MODIFIED = "not_modified"  # an identical edit, a deleted message: already so
    TRANSIENT = "transient"  # 5xx, timeout, dropped connection: retry with backoff
    # (a timeout or a connection dropped mid-call is *uncertain*: see Failure.uncertain)
    REJECTED = "rejected"  # any other 400/404/413: the row failed with Telegram's reason
    FATAL = "fatal"  # 401: the token is wrong; stop sending, keep every row


@dataclass(frozen=True, slots=True)
class Failure:
    kind: Kind
    reason: str
    retry_after: float = 0.0
    migrate_to: int | None = None
    # TRANSIENT only: the request went out and no answer came back (a timeout, a
    # connection dropped mid-call), so Telegram may have carried it out.
    uncertain: bool = False


def _never_sent(exc: BaseException) -> bool:
    """Whether the request surely never reached the server (no connection was made)."""
    return isinstance(exc, ConnectFailed) or isinstance(exc.__cause__, ClientConnectorError)


def _telegram_reason(exc: TelegramAPIError) -> str:
    """Telegram's own description, without aiogram's decorations."""
    if isinstance(exc, TelegramRetryAfter | TelegramMigrateToChat):
        _, sep, original = exc.message.partition("Original description: ")
        return original if sep else exc.message
    return exc.message


def classify(exc: BaseException) -> Failure | None:
    """The decision for ``exc``, or None if it is not a Bot API failure at all.

    The reason is the error's kind and Telegram's description, never a request URL
    or the token (see ``RedactingSession``; scrubbed here again before it is stored).
    """
    failure = _classify(exc)
    if failure is None:
        return None
    return dataclasses.replace(failure, reason=scrub(failure.reason))


def _classify(exc: BaseException) -> Failure | None:
    if isinstance(exc, TelegramRetryAfter):
        return Failure(Kind.FLOOD, _telegram_reason(exc), retry_after=float(exc.retry_after))
    if isinstance(exc, TelegramMigrateToChat):
        return Failure(Kind.MIGRATED, _telegram_reason(exc), migrate_to=exc.migrate_to_chat_id)
    if isinstance(exc, TelegramForbiddenError):
        return Failure(Kind.GONE, exc.message)
    if isinstance(exc, TelegramUnauthorizedError):
        return Failure(Kind.FATAL, exc.message)
    if isinstance(exc, TelegramEntityTooLarge):  # a TelegramNetworkError, but final
        return Failure(Kind.REJECTED, exc.message)
    if isinstance(exc, TelegramServerError):  # Telegram answered: it did not take the call
        return Failure(Kind.TRANSIENT, exc.message)
    if isinstance(exc, TelegramNetworkError):
        reason = f"network error: {exc.message}"
        return Failure(Kind.TRANSIENT, reason, uncertain=not _never_sent(exc))
    if isinstance(exc, ClientDecodeError):
        # A proxy's HTML error page or a truncated body: the request may be retried.
        # Its page is not kept: it may echo the request path, token included.
        return Failure(Kind.TRANSIENT, f"not a Bot API answer: {exc.message}")
    if isinstance(exc, TelegramAPIError):
        if "message is not modified" in exc.message or "message to delete not found" in exc.message:
            # Already what we want (an identical edit; a message someone deleted already).
            return Failure(Kind.NOT_MODIFIED, exc.message)
        return Failure(Kind.REJECTED, exc.message)
    return None
