"""`bot publish --wait`: a progress bar until an issue's outbox has drained.

Reads the outbox on its own connection (WAL lets it read while a sender writes),
so it works the same whether the daemon or ``--send`` in this process sends.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.store.db import open_db
from bot.store.delivery_report import IssueProgress, issue_progress


def _line(p: IssueProgress, rate: float) -> str:
    return f"pending {p.pending} · failed {p.failed} · {rate:.1f}/s"


async def wait_drained(
    db_path: Path | None,
    issue_id: int,
    *,
    done: asyncio.Event | None = None,
    console: Console | None = None,
    poll_s: float = 0.25,
) -> IssueProgress:
    """Show sent / pending / failed and the rate until nothing due is left for the issue
    (or ``done`` is set, e.g. when a foreground sender finished). Returns the last figures."""
    console = console or Console(stderr=True)
    columns = (
        TextColumn("[bold]delivering"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[line]}"),
        TimeElapsedColumn(),
    )
    async with open_db(db_path) as conn:
        current = await issue_progress(conn, issue_id)
        first_sent, started = current.sent, time.monotonic()
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("deliver", total=None, line="")
            while True:
                current = await issue_progress(conn, issue_id)
                elapsed = max(time.monotonic() - started, 1e-6)
                rate = (current.sent - first_sent) / elapsed
                total = current.sent + current.pending + current.failed
                bar.update(
                    task,
                    total=total,
                    completed=current.sent + current.failed,
                    line=_line(current, rate),
                )
                finished = done is not None and done.is_set()
                if current.pending == 0 or finished:
                    return current
                await asyncio.sleep(poll_s)
