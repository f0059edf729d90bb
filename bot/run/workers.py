"""The daemon's long-running workers (the chat sender, the IMAP bounce poller, and the
e-mail sender once it joins): each runs until its ``stop`` event and is given
``STOP_BUDGET`` seconds to finish at shutdown, then cancelled.

A worker that ends by itself stops the daemon; how it ended decides the exit status
(:func:`exit_for`). A worker is anything with ``run(stop)``: adding one to `bot run` is
one line in :meth:`bot.run.daemon.Daemon._workers`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot import exits
from bot.delivery.state import SenderStopped
from bot.logs import event
from bot.store.base import DatabaseDamaged, StoreError
from bot.store.db import explain

log = logging.getLogger("bot.run")

# Seconds in-flight sends get to finish at shutdown; then they are cancelled and recorded
# as uncertain. The whole stop stays well within the 10 s systemd and Docker allow.
STOP_BUDGET = 5.0


@dataclass
class Worker:
    """``run(stop)`` until ``stop`` is set. ``uncertain`` counts sends cut short (for the
    log line when the budget runs out); ``hint`` says what happens to them."""

    name: str
    run: Callable[[asyncio.Event], Awaitable[object]]
    uncertain: Callable[[], int] | None = None
    hint: str = ""
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[object] | None = None

    def start(self) -> asyncio.Task[object]:
        async def running() -> object:
            return await self.run(self.stop)

        self.task = asyncio.create_task(running(), name=self.name)
        return self.task


async def finish(workers: list[Worker], db_path: Path) -> int | None:
    """Stop every worker (``STOP_BUDGET`` seconds, then cancel); the exit status the
    first failure among them asks for, or None when they all ended cleanly."""
    for worker in workers:
        worker.stop.set()
    tasks = [w.task for w in workers if w.task is not None]
    if not tasks:
        return None
    await asyncio.wait(tasks, timeout=STOP_BUDGET)
    status: int | None = None
    for worker in workers:
        task = worker.task
        if task is None:
            continue
        if not task.done():
            before = worker.uncertain() if worker.uncertain else 0
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            after = worker.uncertain() if worker.uncertain else 0
            event(
                log,
                f"{worker.name}.cut_short",
                logging.WARNING,
                after_s=STOP_BUDGET,
                uncertain=after - before,
                hint=worker.hint or "stopped before it finished",
            )
            continue
        if task.cancelled() or task.exception() is None:
            continue
        exc = task.exception()
        assert exc is not None
        if isinstance(exc, SenderStopped):
            event(log, f"{worker.name}.stopped", logging.ERROR, error=str(exc))
        else:
            error = f"{type(exc).__name__}: {exc}"
            event(log, f"{worker.name}.crashed", logging.ERROR, error=error)
        if status is None:
            status = exit_for(exc, db_path)
    return status


def exit_for(exc: BaseException, db_path: Path) -> int:
    """A refused token is configuration (2); a damaged database 65; any other database
    or file-system fault (disk full, read-only remount, I/O) may pass: 75; a bug, 1."""
    cause = exc.__cause__ if isinstance(exc, SenderStopped) else exc
    if cause is None:
        return exits.CONFIG
    if isinstance(cause, sqlite3.Error):
        cause = explain(cause, db_path) or cause
    if isinstance(cause, DatabaseDamaged):
        return exits.DAMAGED
    if isinstance(cause, sqlite3.Error | StoreError | OSError):
        return exits.TEMPFAIL
    return exits.FAILED
