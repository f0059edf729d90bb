"""What a failed Bot API call means for the delivery row that caused it.

aiogram turns Telegram's answers into exceptions (see aiogram/exceptions.py and
``BaseSession.check_response``); this module maps each to one decision the
sender acts on. Importing it imports aiogram, so only the sender does.
"""

from __future__ import annotations

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

from bot.delivery.client import scrub


class Kind(Enum):
    FLOOD = "flood"  # 429: pause the whole bot for retry_after, then resend the row
    MIGRATED = "migrated"  # group became a supergroup: move the chat, resend there
    GONE = "gone"  # 403: blocked, kicked, deactivated: chat inactive, its rows cancelled
    NOT_MODIFIED = "not_modified"  # an edit to identical text: already what we want
    TRANSIENT = "transient"  # 5xx, timeout, dropped connection: retry with backoff
    REJECTED = "rejected"  # any other 400/404/413: the row failed with Telegram's reason
    FATAL = "fatal"  # 401: the token is wrong; stop sending, keep every row


@dataclass(frozen=True, slots=True)
class Failure:
    kind: Kind
    reason: str
    retry_after: float = 0.0
    migrate_to: int | None = None


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
    return Failure(failure.kind, scrub(failure.reason), failure.retry_after, failure.migrate_to)


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
    if isinstance(exc, TelegramServerError):
        return Failure(Kind.TRANSIENT, exc.message)
    if isinstance(exc, TelegramNetworkError):
        return Failure(Kind.TRANSIENT, f"network error: {exc.message}")
    if isinstance(exc, ClientDecodeError):
        # A proxy's HTML error page or a truncated body: the request may be retried.
        # Its page is not kept: it may echo the request path, token included.
        return Failure(Kind.TRANSIENT, f"not a Bot API answer: {exc.message}")
    if isinstance(exc, TelegramAPIError):
        if "message is not modified" in exc.message:
            return Failure(Kind.NOT_MODIFIED, exc.message)
        return Failure(Kind.REJECTED, exc.message)
    return None
