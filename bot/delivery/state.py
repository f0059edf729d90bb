"""The sender's bookkeeping: options, per-chat queues, and what a run did."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from bot.delivery.ratelimit import Limits
from bot.delivery.retry import RetryPolicy
from bot.store.deliveries import Job


class SenderStopped(Exception):
    """The sender cannot go on: one sentence. Its ``__cause__`` is what stopped it (an
    unusable database, a bug), or None when Telegram refused the token."""


@dataclass(slots=True)
class ChatQueue:
    chat_id: int
    jobs: deque[Job]
    failures: int = 0  # transient failures of the job at the head
    failing_since: float | None = None  # time.time() of the first of them


@dataclass(slots=True)
class Tally:
    sent: int = 0
    edited: int = 0
    deleted: int = 0
    failed: int = 0
    cancelled: int = 0
    retried: int = 0
    floods: int = 0
    uncertain: int = 0  # sends whose outcome was unknown (no answer, or cut at shutdown)
    resent: int = 0  # of those, sent again: each a possible duplicate
    by_issue: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SenderOptions:
    limits: Limits = field(default_factory=Limits)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    # A lease covers a few seconds of sending: a sender killed with SIGKILL stalls its
    # chats for at most ``lease_s`` (the heartbeat renews every ``lease_s / 3``), and it
    # holds about ``window_s`` seconds of work at the global rate (at least
    # ``batch_chats`` chats), not hundreds of chats.
    lease_s: float = 5.0
    window_s: float = 3.0
    batch_chats: int = 20
    max_chats: int = 5000
    # A new message whose send had no answer is resent no sooner than this (and no
    # sooner than the retry backoff, which grows with repeated failures). Waiting
    # longer cannot make a duplicate less likely (the Bot API has no look-up); at 5 s
    # the lost answers of a run's last seconds held its end back by 5-8 s.
    uncertain_delay_s: float = 1.0
    max_in_flight: int = 64
    idle_poll_s: float = 1.0
