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
    by_issue: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SenderOptions:
    limits: Limits = field(default_factory=Limits)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    lease_s: float = 30.0
    batch_chats: int = 500
    max_in_flight: int = 64
    idle_poll_s: float = 1.0
