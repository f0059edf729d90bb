"""The e-mail sender's options and what a run did (bot.delivery.email_sender)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.delivery.retry import RetryPolicy

DEFAULT_RETRY_MINUTES = 4320.0  # BOT_MAIL_RETRY_FOR_MINUTES: 3 days


@dataclass(frozen=True, slots=True)
class EmailOptions:
    """``workers``: concurrent sends (about the pool's size); ``window_s``: how much
    sending (at the pool's rate) one claim takes; ``policy``: backoff and give-up span."""

    workers: int = 4
    window_s: float = 1.0
    min_batch: int = 4
    max_batch: int = 500
    lease_s: float = 60.0
    idle_poll_s: float = 1.0
    commit_every_s: float = 0.2
    uncertain_delay_s: float = 60.0
    policy: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(
            base=60.0, cap=3600.0, give_up_after_s=DEFAULT_RETRY_MINUTES * 60
        )
    )

    @classmethod
    def for_minutes(cls, retry_for_minutes: float) -> EmailOptions:
        """The defaults, giving up after ``BOT_MAIL_RETRY_FOR_MINUTES`` of failures."""
        policy = RetryPolicy(base=60.0, cap=3600.0, give_up_after_s=retry_for_minutes * 60)
        return cls(policy=policy)


@dataclass(slots=True)
class MailTally:
    sent: int = 0
    retried: int = 0  # 4xx or no connection: pending again
    given_up: int = 0  # failing for the whole span: failed
    bounced: int = 0  # 5xx: subscriber suppressed
    uncertain: int = 0  # connection lost after DATA
    dropped: int = 0  # nothing matches the subscriber's topics any more
