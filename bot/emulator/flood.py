"""Telegram's flood limits as token buckets: global, per chat, per group."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.emulator.config import EmulatorConfig

Clock = Callable[[], float]


@dataclass(slots=True)
class Bucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.stamp)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.stamp = max(self.stamp, now)

    def wait_time(self) -> float:
        """Seconds until one token is available (0 when one is)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class FloodLimiter:
    """Take one token from every bucket that applies, or none and say how long to wait."""

    def __init__(self, config: EmulatorConfig, clock: Clock = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self.global_bucket: Bucket | None = None
        self.chats: dict[int, Bucket] = {}
        self.groups: dict[int, Bucket] = {}
        self.signature: tuple[float, ...] = ()

    def _reset_if_changed(self) -> None:
        cfg = self.config
        signature = (cfg.global_per_s, cfg.chat_per_s, cfg.chat_burst, cfg.group_per_min)
        if signature != self.signature:
            self.signature = signature
            self.global_bucket = None
            self.chats.clear()
            self.groups.clear()

    @staticmethod
    def _bucket(
        table: dict[int, Bucket], key: int, rate: float, capacity: float, now: float
    ) -> Bucket:
        bucket = table.get(key)
        if bucket is None:
            bucket = table[key] = Bucket(rate, capacity, capacity, now)
        return bucket

    def check(self, chat_id: int, is_group: bool) -> int:
        """Return 0 and consume a token, or the retry_after seconds for a 429."""
        self._reset_if_changed()
        cfg, now = self.config, self.clock()
        buckets: list[Bucket] = []
        if cfg.global_per_s > 0:
            if self.global_bucket is None:
                rate = cfg.global_per_s
                self.global_bucket = Bucket(rate, rate, rate, now)
            buckets.append(self.global_bucket)
        if cfg.chat_per_s > 0:
            burst = max(1.0, float(cfg.chat_burst))
            buckets.append(self._bucket(self.chats, chat_id, cfg.chat_per_s, burst, now))
        if is_group and cfg.group_per_min > 0:
            per_min = cfg.group_per_min
            buckets.append(self._bucket(self.groups, chat_id, per_min / 60.0, per_min, now))
        for bucket in buckets:
            bucket.refill(now)
        wait = max((bucket.wait_time() for bucket in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1
        return 0
