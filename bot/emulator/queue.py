"""The bot's pending updates and getUpdates long polling (one poller at a time)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

# Telegram's default when allowed_updates was never given.
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass(eq=False, slots=True)
class Waiter:
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    terminated: bool = False


class UpdateQueue:
    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.next_id = 1
        self.allowed: list[str] | None = None
        self.waiters: set[Waiter] = set()
        self.arrival = asyncio.Event()  # set on every queued update (webhook delivery)
        self.closed = False

    def accepts(self, kind: str) -> bool:
        if self.allowed:
            return kind in self.allowed
        return kind not in DEFAULT_EXCLUDED

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create an update; it is queued only if the bot asked for its kind."""
        update = {"update_id": self.next_id, kind: payload}
        self.next_id += 1
        if self.accepts(kind):
            self.pending.append(update)
            self._wake_all()
        return update

    def confirm(self, offset: int) -> None:
        """Forget updates before ``offset`` (negative: keep only the last -offset)."""
        if offset < 0:
            self.pending = self.pending[offset:]
        elif offset:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def take(self, limit: int) -> list[dict[str, Any]]:
        return self.pending[:limit]

    def set_allowed(self, allowed: list[str] | None) -> None:
        if allowed is not None:
            self.allowed = list(allowed)
            self.pending = [u for u in self.pending if self.accepts(_kind(u))]

    def drop_pending(self) -> None:
        self.pending.clear()

    def register(self) -> Waiter:
        """A new getUpdates call terminates the one already waiting (like Telegram)."""
        for other in self.waiters:
            other.terminated = True
            other.wake.set()
        self.waiters.clear()
        waiter = Waiter()
        self.waiters.add(waiter)
        return waiter

    def unregister(self, waiter: Waiter) -> None:
        self.waiters.discard(waiter)

    async def wait(self, waiter: Waiter, seconds: float) -> None:
        """Wait until an update arrives, the waiter is terminated, or the timeout."""
        if self.pending or self.closed or seconds <= 0:
            return
        try:
            await asyncio.wait_for(waiter.wake.wait(), seconds)
        except TimeoutError:
            return

    def close_pollers(self) -> None:
        """Wake every waiting getUpdates call (it answers at once)."""
        self._wake_all()

    def close(self) -> None:
        self.closed = True
        self._wake_all()

    def _wake_all(self) -> None:
        self.arrival.set()
        for waiter in self.waiters:
            waiter.wake.set()


def _kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")
