"""Seeded fault injection: random 429s, 500/502s, dropped connections, latency."""

from __future__ import annotations

import random
from typing import Literal

from bot.emulator.config import EmulatorConfig

Fault = Literal["429", "500", "502", "drop"]


class FaultInjector:
    """Draws the same sequence of faults for the same seed and the same calls."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.reseed(config.seed)

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)

    def draw(self) -> Fault | None:
        cfg = self.config
        if cfg.seed != self.seed:
            self.reseed(cfg.seed)
        if not (cfg.p429 or cfg.p5xx or cfg.pdrop):
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
        return None

    def latency_s(self) -> float:
        return self.config.latency_ms / 1000.0
