"""`bot deliveries` and `bot stats`, and the `--send`/`--wait` steps of `bot publish`.

None of these import aiogram except `bot publish --send`, which sends.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.common import CommandFailed, UnusableInput, run_async
from bot.commands.db import DB_OPTION, database
from bot.logs import redact
from bot.render.text import clip
from bot.store.base import utc_now

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.delivery_report import DeliveryRow

MAX_REASON_SHOWN = 90
MAX_REASONS_SUMMED = 4


def _short(text: str | None, width: int = MAX_REASON_SHOWN) -> str:
    """A stored reason, shortened; redacted too (rows stored by older versions)."""
    return clip(" ".join(redact(text or "").split()), width)


def _local(stamp: str, tz: str) -> str:
    """A stored UTC stamp in ``tz`` (BOT_TZ), as the maintainer reads clocks."""
    from zoneinfo import ZoneInfo

    from bot.store.base import parse_stamp

    return parse_stamp(stamp).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")


def _row_line(row: DeliveryRow, tz: str) -> str:
    chat = f"{row.chat_id}" + (f" ({_short(row.chat_title, 24)})" if row.chat_title else "")
    part = f"part {row.part_no + 1}"
    if row.channel == "email":
        chat, part = _short(row.address, 80), "e-mail"
    what = "edit" if row.edit else "send"
    if row.action != "send":  # a withdrawn (unpublished) issue's message
        what = f"withdrawal {row.action}"
    later = row.status == "pending" and row.not_before and row.not_before > utc_now()
    when = ""
    if later and row.not_before:
        when = f", {'retry' if row.last_error else 'not before'} {_local(row.not_before, tz)} {tz}"
    why = f": {_short(row.last_error)}" if row.last_error else ""
    return (
        f"#{row.id} {row.issue_date} {part} → {chat} [{row.status} {what},"
        f" {row.attempts} attempt{'' if row.attempts == 1 else 's'}{when}]{why}"
    )


async def _deliveries(db_path: Path | None, failed: bool, retry: bool, limit: int, tz: str) -> str:
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
    lines += [_row_line(row, tz) for row in rows]
    return "\n".join(lines)


@click.command()
@click.option(
    "--failed",
    is_flag=True,
    help="Only deliveries that failed, with Telegram's or the mail server's reason.",
)
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
    """List deliveries (Telegram messages and e-mails) that are pending or failed, and why
    (times in BOT_TZ); --retry requeues failed ones (never a bounced address)."""
    click.echo(run_async(_deliveries(db_path, failed, retry, limit, _tz())))


def _tz() -> str:
    from bot.config import SettingsError, load_settings

    try:
        return load_settings().tz
    except SettingsError as exc:
        raise UnusableInput(str(exc)) from None


def reasons_line(label: str, reasons: list[tuple[str, int]]) -> str | None:
    """``Failed: 3 (2 × Internal Server Error; 1 × Bad Request: chat not found)``."""
    if not reasons:
        return None
    total = sum(n for _, n in reasons)
    shown = [f"{n} × {_short(reason, 60)}" for reason, n in reasons[:MAX_REASONS_SUMMED]]
    rest = sum(n for _, n in reasons[MAX_REASONS_SUMMED:])
    if rest:
        shown.append(f"{rest} × other reasons")
    return f"{label}: {total} ({'; '.join(shown)})"


async def _stats(db_path: Path | None) -> str:
    import time

    from bot.store.delivery_report import (
        email_subscribers,
        failure_reasons,
        per_issue,
        subscribers,
    )
    from bot.store.leases import live_senders
    from bot.store.unpublish import list_unpublished

    async with database(db_path) as db:
        conn = db.reader
        subs = await subscribers(conn)
        issues = await per_issue(conn)
        readers = await email_subscribers(conn)
        mails = dict(await per_issue(conn, channel="email"))
        failed = await failure_reasons(conn, "failed")
        cancelled = await failure_reasons(conn, "cancelled")
        senders = await live_senders(conn, time.time(), 30.0)
        withdrawn = await list_unpublished(conn)
    kinds = ", ".join(
        f"{k.removeprefix('active ')} {v}" for k, v in subs.items() if k.startswith("active ")
    )
    lines = [
        f"Subscribers: {subs['active']} active"
        + (f" ({kinds})" if kinds else "")
        + f", {subs['paused']} paused, {subs['blocked']} blocked or gone."
    ]
    if any(readers.values()):
        lines.append(
            f"E-mail subscribers: {readers['confirmed']} confirmed,"
            f" {readers['unconfirmed']} unconfirmed, {readers['unsubscribed']} unsubscribed,"
            f" {readers['bounced']} bounced, {readers['complained']} complained."
        )
    lines.append("Deliveries per issue (messages: sent / pending / failed / cancelled):")
    dates = sorted({date for date, _ in issues} | mails.keys(), reverse=True)[:10]
    if not dates:
        lines.append("  none yet")
    telegram = dict(issues)
    for date in dates:
        shown = [_counts(telegram[date])] if date in telegram else []
        if date in mails:
            shown.append(f"e-mail {_counts(mails[date])}")
        lines.append(f"  {date}: {'; '.join(shown)}")
    lines += [
        line
        for line in (reasons_line("Failed", failed), reasons_line("Cancelled", cancelled))
        if line is not None
    ]
    if withdrawn:
        shown = [
            f"{u.date} ({u.deletes} to delete, {u.edits} to edit"
            + (f", by {u.unpublished_by}" if u.unpublished_by else "")
            + ")"
            for u in withdrawn[:MAX_REASONS_SUMMED]
        ]
        lines.append(f"Unpublished: {len(withdrawn)} ({'; '.join(shown)})")
    if senders:
        lines += [f"Sending now: {owner} (pid {pid} on {host})" for owner, pid, host in senders]
    else:
        lines.append("Sending now: nothing (no `bot run` is up).")
    return "\n".join(lines)


def _counts(counts: dict[str, int]) -> str:
    open_ = counts["pending"] + counts["sending"]
    return f"{counts['sent']} / {open_} / {counts['failed']} / {counts['cancelled']}"


@click.command()
@DB_OPTION
def stats(db_path: Path | None) -> None:
    """Subscribers (chats and e-mail), deliveries per issue and channel, and why
    deliveries failed."""
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
