"""Emulator settings: flood limits, fault injection and the bot's identity."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bot.emulator.errors import ControlError

# Keys that POST /_emu/config may change, with the type each must have.
TUNABLE: dict[str, type] = {
    "global_per_s": float,
    "chat_per_s": float,
    "chat_burst": int,
    "group_per_min": float,
    "latency_ms": float,
    "p429": float,
    "p5xx": float,
    "pdrop": float,
    "pdrop_after": float,
    "seed": int,
    "webhook_retry_s": float,
    "clock_offset_s": float,
}
_PROBABILITIES = ("p429", "p5xx", "pdrop", "pdrop_after")


@dataclass(slots=True)
class EmulatorConfig:
    """Everything tunable; 0 for a flood limit means "no limit"."""

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 0
    global_per_s: float = 30.0
    chat_per_s: float = 1.0
    chat_burst: int = 3
    group_per_min: float = 20.0
    latency_ms: float = 0.0
    p429: float = 0.0
    p5xx: float = 0.0
    pdrop: float = 0.0
    pdrop_after: float = 0.0  # the call is carried out, then the answer is lost
    webhook_retry_s: float = 1.0
    # Moves the clock of time rules (deleteMessage's 48 h) forward: messages already
    # sent look this much older.
    clock_offset_s: float = 0.0
    bot_username: str = "DigestTestBot"
    bot_first_name: str = "Digest Test Bot"

    @classmethod
    def unlimited(cls, **changes: Any) -> EmulatorConfig:
        """No flood limits at all: for tests and benchmarks of other parts."""
        return cls(global_per_s=0, chat_per_s=0, group_per_min=0, **changes)

    def tunables(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in TUNABLE}

    def apply(self, changes: dict[str, Any]) -> None:
        """Validate then apply a partial update; nothing changes on error."""
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            kind = TUNABLE.get(key)
            if kind is None:
                raise ControlError(f"unknown config key {key!r}; known: {', '.join(TUNABLE)}")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ControlError(f"config key {key!r} must be a number")
            if kind is int and value != int(value):
                raise ControlError(f"config key {key!r} must be an integer")
            if value < 0:
                raise ControlError(f"config key {key!r} must not be negative")
            if key in _PROBABILITIES and value > 1:
                raise ControlError(f"config key {key!r} is a probability between 0 and 1")
            checked[key] = kind(value)
        for key, value in checked.items():
            setattr(self, key, value)

    def copy(self) -> EmulatorConfig:
        return dataclasses.replace(self)
