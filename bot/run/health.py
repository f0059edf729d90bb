"""`GET /healthz`: is the daemon doing its job? JSON for load balancers and operators.

200 when the database answers, is still the file the daemon opened (not deleted or
replaced) and passed its last quick_check, and updates are flowing (the last successful
poll is recent, or webhook mode, where Telegram pushes); 503 otherwise, with the reason.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from bot.store.base import StoreError

POLL_STALE_SECONDS = 120.0

Counts = Callable[[], Awaitable[dict[str, int]]]


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


@dataclass
class HealthState:
    """What the daemon's parts report; read by the endpoint."""

    mode: str = "polling"
    started: float = field(default_factory=time.time)
    last_poll: float | None = None
    last_update: float | None = None
    stopping: bool = False
    db_problem: str | None = None  # the database was lost or found damaged: one sentence
    db_probe: Callable[[], str | None] | None = None  # checks the file now (a stat)

    def polled(self) -> None:
        self.last_poll = time.time()

    def updated(self) -> None:
        self.last_update = time.time()


async def report(state: HealthState, counts: Counts) -> tuple[bool, dict[str, object]]:
    """The health document and whether it is healthy."""
    body: dict[str, object] = {
        "mode": state.mode,
        "started": _iso(state.started),
        "last_poll": _iso(state.last_poll),
        "last_update": _iso(state.last_update),
    }
    problems: list[str] = []
    if state.db_problem is None and state.db_probe is not None:
        state.db_problem = state.db_probe()
    try:
        body.update(await counts())
        body["db"] = "ok"
    except (sqlite3.Error, StoreError, OSError, ValueError) as exc:
        body["db"] = f"error: {type(exc).__name__}: {exc}"[:300]
        problems.append("database not reachable")
    if state.db_problem is not None:  # answering from a deleted file is not "ok"
        body["db"] = f"error: {state.db_problem}"[:300]
        problems.append(state.db_problem)
    now = time.time()
    if state.mode == "polling":
        since = state.last_poll if state.last_poll is not None else state.started
        if now - since > POLL_STALE_SECONDS:
            problems.append(f"no successful getUpdates for {now - since:.0f} s")
    if state.stopping:
        problems.append("shutting down")
    body["ok"] = not problems
    if problems:
        body["problems"] = problems
    return not problems, body


def add_health_route(app: web.Application, state: HealthState, counts: Counts) -> None:
    async def healthz(_: web.Request) -> web.Response:
        ok, body = await report(state, counts)
        return web.json_response(body, status=200 if ok else 503)

    app.router.add_get("/healthz", healthz)
