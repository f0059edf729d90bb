"""`bot deliveries` and `bot stats`, and the `--send`/`--wait` steps of `bot publish`.

None of these import aiogram except `bot publish --send`, which sends.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.common import CommandFailed, run_async
from bot.commands.db import DB_OPTION, database
from bot.logs import redact
from bot.render.text import clip
from bot.store.base import utc_now

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.delivery_report import DeliveryRow

MAX_REASON_SHOWN = 90


def _short(text: str | None, width: int = MAX_REASON_SHOWN) -> str:
    """A stored reason, shortened; redacted too (rows stored by older versions)."""
    return clip(" ".join(redact(text or "").split()), width)


def _row_line(row: DeliveryRow) -> str:
    chat = f"{row.chat_id}" + (f" ({_short(row.chat_title, 24)})" if row.chat_title else "")
    what = "edit" if row.edit else "send"
    later = row.status == "pending" and row.not_before and row.not_before > utc_now()
    when = f", not before {row.not_before} UTC" if later else ""
    why = f": {_short(row.last_error)}" if row.last_error else ""
    return (
        f"#{row.id} {row.issue_date} part {row.part_no + 1} → {chat} [{row.status} {what},"
        f" {row.attempts} attempt{'' if row.attempts == 1 else 's'}{when}]{why}"
    )


async def _deliveries(db_path: Path | None, failed: bool, retry: bool, limit: int) -> str:
    from bot.store.delivery_report import list_open, requeue_failed

    async with database(db_path) as db:
        conn = db.reader
        if retry:
            count = await db.write(requeue_failed)
            return (
                f"{count} failed deliveries requeued; the running sender (or --send) retries them."
            )
        rows, total = await list_open(conn, failed_only=failed, limit=limit)
    kind = "failed" if failed else "pending or failed"
    if not rows:
        return f"No {kind} deliveries."
    lines = [
        f"{total} {kind} deliveries"
        + (f" (first {len(rows)} shown):" if total > len(rows) else ":")
    ]
    lines += [_row_line(row) for row in rows]
    return "\n".join(lines)


@click.command()
@click.option("--failed", is_flag=True, help="Only deliveries that failed, with Telegram's reason.")
@click.option("--retry", is_flag=True, help="Put every failed delivery back in the queue.")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=50,
    show_default=True,
    help="Show at most this many rows.",
)
@DB_OPTION
def deliveries(failed: bool, retry: bool, limit: int, db_path: Path | None) -> None:
    """List deliveries that are pending or failed, and why; --retry requeues failed ones."""
    click.echo(run_async(_deliveries(db_path, failed, retry, limit)))


async def _stats(db_path: Path | None) -> str:
    import time

    from bot.store.delivery_report import failure_reasons, per_issue, subscribers
    from bot.store.leases import live_senders

    async with database(db_path) as db:
        conn = db.reader
        subs = await subscribers(conn)
        issues = await per_issue(conn)
        reasons = await failure_reasons(conn)
        senders = await live_senders(conn, time.time(), 30.0)
    kinds = ", ".join(
        f"{k.removeprefix('active ')} {v}" for k, v in subs.items() if k.startswith("active ")
    )
    lines = [
        f"Subscribers: {subs['active']} active"
        + (f" ({kinds})" if kinds else "")
        + f", {subs['paused']} paused, {subs['blocked']} blocked or gone."
    ]
    lines.append("Deliveries per issue (messages: sent / pending / failed / cancelled):")
    if not issues:
        lines.append("  none yet")
    for date, counts in issues:
        open_ = counts["pending"] + counts["sending"]
        lines.append(
            f"  {date}: {counts['sent']} / {open_} / {counts['failed']} / {counts['cancelled']}"
        )
    if reasons:
        lines.append("Failure reasons:")
        lines += [f"  {n} × {_short(reason)}" for reason, n in reasons]
    if senders:
        lines += [f"Sending now: {owner} (pid {pid} on {host})" for owner, pid, host in senders]
    else:
        lines.append("Sending now: nothing (no `bot run` is up).")
    return "\n".join(lines)


@click.command()
@DB_OPTION
def stats(db_path: Path | None) -> None:
    """Subscribers (active, blocked), deliveries per issue, and why deliveries failed."""
    click.echo(run_async(_stats(db_path)))


def deliver_after_publish(
    settings: Settings,
    db_path: Path | None,
    issue_id: int,
    sender: str | None,
    *,
    send: bool,
    wait: bool,
) -> str:
    """`bot publish --send` / `--wait`: send here, or watch the running sender."""
    from bot.delivery.foreground import describe_progress, describe_sent
    from bot.delivery.progress import wait_drained

    if send:
        from bot.delivery.foreground import send_here
        from bot.delivery.sender import SenderStopped

        try:
            tally, progress = run_async(send_here(settings, db_path, issue_id, show_progress=wait))
        except SenderStopped as exc:
            raise CommandFailed(str(exc)) from None
        return describe_sent(tally, progress)
    if sender is None:
        raise CommandFailed(
            "nothing is sending, so --wait would wait forever: start `bot run` or add --send"
        )
    return describe_progress(run_async(wait_drained(db_path, issue_id)))
