"""How long to wait before retrying a send that failed for a passing reason.

5xx answers, timeouts and dropped connections are retried with exponential
backoff and full jitter (so many failed sends do not all come back at once),
bounded both per wait and in the number of attempts. After the last attempt the
row is marked failed with the reason; `bot deliveries --retry` requeues it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: float = 0.5
    factor: float = 2.0
    cap: float = 60.0
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.base <= 0 or self.factor < 1 or self.cap < self.base or self.max_attempts < 1:
            raise ValueError("retry policy needs base > 0, factor >= 1, cap >= base, attempts >= 1")

    def gives_up(self, attempts: int) -> bool:
        """True once ``attempts`` transient failures have been spent."""
        return attempts >= self.max_attempts

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
