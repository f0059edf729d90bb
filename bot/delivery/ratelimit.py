"""Token buckets that keep the sender inside Telegram's flood limits.

Telegram allows about 30 messages per second for the whole bot (up to 1,000/s
for paid broadcasts), one message per second in a chat, and 20 messages per
minute in a group. A 429 answer names how long to wait: the chat that got it is
paused for that long, and the others go on. Only when 429s come from several chats at
once (a flood of the whole bot: our rate is above what Telegram grants it now) is
every send paused for ``retry_after`` and the global rate halved; it then grows back
by a twentieth of the limit per second (additive increase, multiplicative decrease).

Nothing here sleeps: callers ask how long they must wait and decide themselves,
so the sender can pick another chat that is ready instead of idling.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# A bot-wide flood: 429s from at least FLOOD_CHATS chats, and for at least
# FLOOD_SHARE of the sends, within the last FLOOD_WINDOW_S seconds. Random 429s
# (a few per cent of the sends, one chat each) stay below that.
FLOOD_WINDOW_S = 1.0
FLOOD_CHATS = 5
FLOOD_SHARE = 0.15
DECREASE = 0.5  # the global rate after a bot-wide flood, times the rate before
INCREASE_PER_S = 0.05  # of the limit, added back per second after a decrease


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
    """Global, per-chat and per-group buckets, per-chat pauses after a 429, and the
    global rate lowered (and a bot-wide pause) when 429s come from several chats at once.

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
        self._chat_paused: dict[int, float] = {}  # chat id → monotonic end of its pause
        self._sends: deque[float] = deque()  # times of the sends of the last window
        self._floods: deque[tuple[float, int]] = deque()  # (time, chat) of recent 429s
        self._rate = limits.global_per_s  # the global rate now (AIMD), ≤ the limit
        self._calm_from = 0.0  # no increase before this (the end of a bot-wide pause)
        self._raised_at = 0.0
        self.decreases = 0  # bot-wide floods seen (for tests and logs)

    def pause(self, now: float, seconds: float) -> None:
        """Stop all sends for ``seconds`` (a bot-wide ``retry_after``)."""
        self._paused_until = max(self._paused_until, now + seconds)

    def paused_for(self, now: float) -> float:
        return max(0.0, self._paused_until - now)

    def pause_chat(self, chat_id: int, now: float, seconds: float) -> None:
        """Stop sends to one chat for ``seconds`` (its ``retry_after``)."""
        until = now + seconds
        if until > self._chat_paused.get(chat_id, 0.0):
            self._chat_paused[chat_id] = until

    def flooded(self, chat_id: int, now: float, retry_after: float) -> bool:
        """Telegram answered 429 for ``chat_id``: pause that chat for ``retry_after``.
        When 429s came from several chats at once, also pause every send and halve the
        global rate. Returns whether it was such a bot-wide flood."""
        self.pause_chat(chat_id, now, retry_after)
        self._expire(now)
        self._floods.append((now, chat_id))
        chats = {chat for _, chat in self._floods}
        if len(chats) < FLOOD_CHATS or len(self._floods) < FLOOD_SHARE * len(self._sends):
            return False
        self.pause(now, retry_after)
        self._floods.clear()  # the next decrease needs fresh evidence
        self._set_rate(now, max(1.0, self._rate * DECREASE))
        self._calm_from = now + retry_after
        self.decreases += 1
        return True

    @property
    def rate(self) -> float:
        """The global rate now: the limit, or less after a bot-wide flood."""
        return self._rate

    def _set_rate(self, now: float, rate: float) -> None:
        self._global._refill(now)
        self._rate = self._global.rate = rate
        self._raised_at = now

    def _expire(self, now: float) -> None:
        edge = now - FLOOD_WINDOW_S
        sends, floods = self._sends, self._floods
        while sends and sends[0] < edge:
            sends.popleft()
        while floods and floods[0][0] < edge:
            floods.popleft()

    def _recover(self, now: float) -> None:
        """Additive increase: back towards the limit, once the bot-wide pause is over."""
        if now < self._calm_from:
            self._raised_at = now
            return
        limit = self.limits.global_per_s
        gained = (now - self._raised_at) * limit * INCREASE_PER_S
        self._set_rate(now, min(limit, self._rate + gained))

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
        paused = self._chat_paused.get(chat_id)
        if paused is not None:
            if paused > now:
                wait = max(wait, paused - now)
            else:
                del self._chat_paused[chat_id]
        return max(wait, self.paused_for(now))

    def global_wait(self, now: float) -> float:
        if self._rate < self.limits.global_per_s:
            self._recover(now)
        return max(self._global.wait_time(now), self.paused_for(now))

    def take(self, chat_id: int, now: float) -> None:
        """Account one message to ``chat_id``; the caller checked both waits are 0."""
        self._global.take(now)
        self._sends.append(now)
        if self._sends[0] < now - FLOOD_WINDOW_S:
            self._expire(now)
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
        self._chat_paused = {k: t for k, t in self._chat_paused.items() if t > now}

    def tracked(self) -> int:
        return len(self._chats) + len(self._groups)
