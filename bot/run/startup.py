"""Start-up calls (getMe, deleteWebhook/setWebhook) that survive a passing API failure.

A 502 page from a proxy, a 500, a dropped connection or a 429 at start-up is not a
reason to exit: the call is retried with growing waits, each retry said in one log
line, until it succeeds or the daemon is asked to stop. Only what no retry can fix
(401: the token is refused) ends the start — as a configuration error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from bot.delivery.errors import Kind, classify
from bot.logs import event
from bot.run.options import STARTUP_BACKOFF, RunRefused

log = logging.getLogger("bot.run")
T = TypeVar("T")


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    stop: asyncio.Event,
    backoff: Sequence[float] = STARTUP_BACKOFF,
    api: str = "",
) -> T | None:
    """``await call()`` until it succeeds (its result) or ``stop`` is set (None).

    Transient failures (5xx, an HTML error page, timeouts, dropped connections) wait
    the next step of ``backoff``; a 429 waits what Telegram asks. 401 raises
    :class:`RunRefused`; any other refusal is raised as it is.
    """
    attempt = 0
    while True:
        try:
            return await call()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            if failure.kind is Kind.FATAL:
                raise RunRefused(
                    "Telegram refused BOT_TOKEN (401 Unauthorized); check it with @BotFather"
                ) from None
            if failure.kind is Kind.FLOOD:
                delay = max(failure.retry_after, backoff[0])
            elif failure.kind is Kind.TRANSIENT:
                delay = backoff[min(attempt, len(backoff) - 1)]
            else:
                raise
            attempt += 1
            event(
                log,
                "startup.retry",
                logging.WARNING,
                call=what,
                attempt=attempt,
                error=_short(failure.reason),
                retry_in_s=delay,
                **({"api": api} if api else {}),
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        if stop.is_set():
            return None


def _short(reason: str) -> str:
    """One line: an HTML error page's body is not worth a log line of its own."""
    first = reason.strip().splitlines()[0] if reason.strip() else "no answer"
    return first[:160]
