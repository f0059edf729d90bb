"""Token buckets that keep the sender inside Telegram's flood limits.

Telegram allows about 30 messages per second for the whole bot (up to 1,000/s
for paid broadcasts), one message per second in a chat, and 20 messages per
minute in a group. A 429 answer names how long the bot must wait; we then pause
every send, not only the one that was refused.

Nothing here sleeps: callers ask how long they must wait and decide themselves,
so the sender can pick another chat that is ready instead of idling.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class TokenBucket:
    """``rate`` tokens per second, holding at most ``capacity`` (the burst)."""

    rate: float
    capacity: float
    tokens: float = field(default=-1.0)
    stamp: float = 0.0

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.capacity < 1:
            raise ValueError("a token bucket needs rate > 0 and capacity >= 1")
        if self.tokens < 0:
            self.tokens = self.capacity

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self._refill(now)
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Spend one token; the caller has checked ``wait_time(now) == 0``."""
        self._refill(now)
        self.tokens -= 1

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity


@dataclass(frozen=True, slots=True)
class Limits:
    """The flood limits the sender keeps to (defaults are Telegram's)."""

    global_per_s: float = 30.0
    chat_per_s: float = 1.0
    group_per_min: float = 20.0
    chat_burst: float = 1.0  # messages a chat may get at once before 1/s applies

    @property
    def paid_broadcast(self) -> bool:
        """Above 30 messages/s Telegram requires ``allow_paid_broadcast``."""
        return self.global_per_s > 30


class RateLimiter:
    """Global, per-chat and per-group buckets plus a bot-wide pause after a 429.

    Chat ids below zero are groups, supergroups and channels (Telegram's convention);
    they are also limited per minute. Buckets of chats that are full again are dropped
    by ``forget_idle`` so 100,000 chats do not keep 100,000 objects alive.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        # A burst of 1/20 s of sends: a late wake-up of the event loop is caught up
        # instead of lost, while any one-second window stays within 105 % of the rate.
        self._global = TokenBucket(limits.global_per_s, max(1.0, limits.global_per_s / 20))
        self._chats: dict[int, TokenBucket] = {}
        self._groups: dict[int, TokenBucket] = {}
        self._paused_until = 0.0

    def pause(self, now: float, seconds: float) -> None:
        """Stop all sends for ``seconds`` (Telegram's ``retry_after``)."""
        self._paused_until = max(self._paused_until, now + seconds)

    def paused_for(self, now: float) -> float:
        return max(0.0, self._paused_until - now)

    def _chat_bucket(self, chat_id: int) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = TokenBucket(
                self.limits.chat_per_s, self.limits.chat_burst
            )
        return bucket

    def _group_bucket(self, chat_id: int) -> TokenBucket | None:
        if chat_id >= 0:
            return None
        bucket = self._groups.get(chat_id)
        if bucket is None:
            rate = self.limits.group_per_min / 60.0
            # 20/min with a burst of a few: a digest of three parts goes out at once.
            burst = max(1.0, min(5.0, self.limits.group_per_min / 4))
            bucket = self._groups[chat_id] = TokenBucket(rate, burst)
        return bucket

    def chat_wait(self, chat_id: int, now: float) -> float:
        """Seconds before this chat may get a message, ignoring the global bucket."""
        wait = self._chat_bucket(chat_id).wait_time(now)
        group = self._group_bucket(chat_id)
        if group is not None:
            wait = max(wait, group.wait_time(now))
        return max(wait, self.paused_for(now))

    def global_wait(self, now: float) -> float:
        return max(self._global.wait_time(now), self.paused_for(now))

    def take(self, chat_id: int, now: float) -> None:
        """Account one message to ``chat_id``; the caller checked both waits are 0."""
        self._global.take(now)
        self._chat_bucket(chat_id).take(now)
        group = self._group_bucket(chat_id)
        if group is not None:
            group.take(now)

    def take_global(self, now: float) -> None:
        """Account one call that only the global limit counts (an edit, a callback answer)."""
        self._global.take(now)

    def forget_idle(self, now: float) -> None:
        """Drop buckets that are full again: they hold no information."""
        self._chats = {k: b for k, b in self._chats.items() if not b.full(now)}
        self._groups = {k: b for k, b in self._groups.items() if not b.full(now)}

    def tracked(self) -> int:
        return len(self._chats) + len(self._groups)
