"""How long to wait before retrying a send that failed for a passing reason, and when
to stop.

5xx answers, timeouts and dropped connections are retried with exponential
backoff and jitter (so many failed sends do not all come back at once), each wait
bounded by ``cap``. A row is given up only after ``give_up_after_s`` of failing
(``BOT_RETRY_FOR_MINUTES``, default an hour): Telegram's outages last minutes, and a
count of attempts made in a minute gave up before they ended. The row is then marked
failed with Telegram's reason; `bot deliveries --retry` requeues it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0
    give_up_after_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.base <= 0 or self.factor < 1 or self.cap < self.base or self.give_up_after_s < 0:
            raise ValueError("retry policy needs base > 0, factor >= 1, cap >= base, span >= 0")

    @classmethod
    def for_minutes(cls, minutes: float) -> RetryPolicy:
        """The default backoff, giving up after ``minutes`` of failures."""
        return cls(give_up_after_s=minutes * 60)

    def gives_up(self, failing_for_s: float) -> bool:
        """True once a row has been failing for the whole span."""
        return failing_for_s >= self.give_up_after_s

    def ceiling(self, attempts: int) -> float:
        """The longest wait after the ``attempts``-th failure (1-based)."""
        exponent = max(0, attempts - 1)
        # Bound the exponent before computing to avoid overflow on absurd counts.
        if exponent > 64:
            return self.cap
        return min(self.cap, self.base * self.factor**exponent)

    def delay(self, attempts: int, rng: random.Random) -> float:
        """A wait between half the ceiling and the ceiling ("equal jitter")."""
        ceiling = self.ceiling(attempts)
        return ceiling / 2 + rng.random() * ceiling / 2
