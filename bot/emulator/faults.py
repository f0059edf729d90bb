"""Fault injection: seeded random faults, and scripted ones for a named method.

Random faults (``p429``, ``p5xx``, ``pdrop``, ``pdrop_after``) follow the seed.
``pdrop_after`` is the nasty one: the call is carried out (a message is stored),
then the connection is closed without an answer — the client cannot tell whether
Telegram got it. Scripted faults (``POST /_emu/faults``) make the next N calls of
one method fail in a chosen way (401 too: a revoked token), the polling and webhook
methods included.
"""

from __future__ import annotations

import random
from typing import Literal, get_args

from bot.emulator.config import EmulatorConfig
from bot.emulator.errors import ControlError

Fault = Literal["401", "429", "500", "502", "drop", "drop_after"]
FAULTS: tuple[str, ...] = get_args(Fault)


class FaultInjector:
    """Draws the same sequence of faults for the same seed and the same calls."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.scripted: dict[str, list[Fault]] = {}
        self.reseed(config.seed)

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)

    def script(self, body: dict[str, object]) -> dict[str, list[str]]:
        """``{"method": "getMe", "fault": "502", "count": 2}``: the next 2 getMe calls
        answer nginx's 502 page. ``count`` 0 clears the method's script."""
        method, fault, count = body.get("method"), body.get("fault"), body.get("count", 1)
        if not isinstance(method, str) or not method:
            raise ControlError("'method' must be a Bot API method name")
        if fault not in FAULTS:
            raise ControlError(f"'fault' must be one of {', '.join(FAULTS)}")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 10_000:
            raise ControlError("'count' must be an integer between 0 and 10000")
        key = method.lower()
        if count:
            self.scripted[key] = [fault] * count  # type: ignore[list-item]
        else:
            self.scripted.pop(key, None)
        return self.pending()

    def pending(self) -> dict[str, list[str]]:
        return {method: list(faults) for method, faults in self.scripted.items()}

    def next_scripted(self, method: str) -> Fault | None:
        queued = self.scripted.get(method.lower())
        if not queued:
            return None
        fault = queued.pop(0)
        if not queued:
            del self.scripted[method.lower()]
        return fault

    def draw(self) -> Fault | None:
        cfg = self.config
        if cfg.seed != self.seed:
            self.reseed(cfg.seed)
        if not (cfg.p429 or cfg.p5xx or cfg.pdrop or cfg.pdrop_after):
            return None
        roll = self.rng.random()
        if roll < cfg.pdrop:
            return "drop"
        roll -= cfg.pdrop
        if roll < cfg.p429:
            return "429"
        roll -= cfg.p429
        if roll < cfg.p5xx:
            return "500" if self.rng.random() < 0.5 else "502"
        roll -= cfg.p5xx
        if roll < cfg.pdrop_after:
            return "drop_after"
        return None

    def latency_s(self) -> float:
        return self.config.latency_ms / 1000.0
