"""`bot publish FILE --at TIME`: record a publish for `bot run` to fire (no aiogram here),
and `bot schedule list` / `bot schedule cancel ID` to see and drop such records.

The issue's text is stored with the schedule, so the file may change or move
afterwards; `bot run` lints it again when it fires. ``TIME`` is in ``BOT_TZ``
unless it carries an offset. A second schedule of the same issue (same date)
replaces the pending one unless ``--also``: two would publish it twice.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite
import click

from bot.commands.common import CommandFailed, UnusableInput, run_async
from bot.commands.db import DB_OPTION, database
from bot.run.lease import LEASE_NAME
from bot.store.base import parse_stamp, to_stamp
from bot.store.leases import lease_holder
from bot.store.scheduled import (
    ScheduledPublish,
    add_scheduled,
    cancel_scheduled,
    get_scheduled,
    list_scheduled,
    pending_for_issue,
)

PAST_SLACK = timedelta(minutes=1)
FORMATS = "YYYY-MM-DD HH:MM (or HH:MM:SS, or with an offset like +08:00)"


def parse_at(value: str, tz: str, now: datetime) -> datetime:
    """The moment ``value`` names, as aware UTC; UnusableInput if malformed or past."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UnusableInput(f"--at {value!r} is not a time like {FORMATS}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    moment = moment.astimezone(UTC)
    if moment < now - PAST_SLACK:
        raise UnusableInput(
            f"--at {value!r} is in the past ({tz}); publish now by leaving out --at"
        )
    return moment


def local_time(stamp: str, tz: str) -> str:
    """A stored UTC stamp as ``YYYY-MM-DD HH:MM`` in ``tz``."""
    return parse_stamp(stamp).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


async def _record(
    text: str,
    file_name: str,
    issue_date: str | None,
    force: bool,
    due: datetime,
    db_path: Path | None,
    also: bool,
) -> tuple[int, list[ScheduledPublish], str | None]:
    async def record(conn: aiosqlite.Connection) -> tuple[int, list[ScheduledPublish]]:
        earlier = [] if also or issue_date is None else await pending_for_issue(conn, issue_date)
        id_ = await add_scheduled(
            conn,
            file_name=file_name,
            content=text,
            due_at=to_stamp(due),
            force=force,
            issue_date=issue_date,
        )
        for row in earlier:
            await cancel_scheduled(conn, row.id, f"replaced by #{id_}")
        return id_, earlier

    async with database(db_path) as db:
        id_, replaced = await db.write(record)
        holder = await lease_holder(db.reader, LEASE_NAME)
    running = None
    if holder is not None and time.time() - holder.heartbeat < 60:
        running = f"bot run (pid {holder.pid} on {holder.host})"
    return id_, replaced, running


def schedule_publish(
    path: Path,
    text: str,
    issue_date: str | None,
    force: bool,
    at: str,
    db_path: Path | None,
    grace_minutes: int,
    tz: str,
    *,
    also: bool = False,
) -> str:
    """Record the publish (replacing the issue's pending ones unless ``also``); return
    what to tell the user."""
    due = parse_at(at, tz, datetime.now(UTC))
    id_, replaced, running = asyncio.run(
        _record(text, path.name, issue_date, force, due, db_path, also)
    )
    local = due.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")
    lines = [
        f"scheduled #{id_}: {path.name} will be published at {local} {tz}"
        f" ({due.strftime('%Y-%m-%d %H:%M:%S')} UTC)" + (" with --force" if force else "")
    ]
    lines += [
        f"replaced #{row.id} ({row.file_name} at {local_time(row.due_at, tz)} {tz}), a pending"
        f" schedule of the same issue {issue_date}; keep both with --also"
        for row in replaced
    ]
    if running:
        lines.append(f"{running} is up and will publish it then.")
    else:
        lines.append(
            "no bot run is up on this database now: start it before then. A publish found"
            f" more than {grace_minutes} min late (BOT_PUBLISH_GRACE_MINUTES) is reported,"
            " not sent."
        )
    return "\n".join(lines)


@click.group()
def schedule() -> None:
    """Scheduled publishes (made by `bot publish FILE --at TIME`): list or cancel them."""


@schedule.command("list")
@click.option("--all", "all_", is_flag=True, help="Also list done, failed, missed and cancelled.")
@DB_OPTION
def list_(all_: bool, db_path: Path | None) -> None:
    """List pending scheduled publishes, soonest first, with times in BOT_TZ."""
    tz = _tz()
    rows = run_async(_list(db_path, all_))
    if not rows:
        click.echo("no scheduled publishes" if all_ else "no pending scheduled publishes")
        return
    for row in rows:
        line = (
            f"#{row.id}  {local_time(row.due_at, tz)} {tz}  {row.status:<9}"
            f"  {row.issue_date or '?':<10}  {row.file_name}" + ("  --force" if row.force else "")
        )
        if all_ and row.detail:
            line += f"  ({row.detail})"
        click.echo(line)


async def _list(db_path: Path | None, all_: bool) -> list[ScheduledPublish]:
    async with database(db_path) as db:
        return await list_scheduled(db.reader, None if all_ else ("pending",))


@schedule.command()
@click.argument("id_", metavar="ID", type=int)
@DB_OPTION
def cancel(id_: int, db_path: Path | None) -> None:
    """Cancel the pending scheduled publish ID (see `bot schedule list`)."""
    tz = _tz()
    row = run_async(_cancel(db_path, id_))
    click.echo(
        f"cancelled #{row.id}: {row.file_name} will not be published at"
        f" {local_time(row.due_at, tz)} {tz}"
    )


async def _cancel(db_path: Path | None, id_: int) -> ScheduledPublish:
    async with database(db_path) as db:
        row = await get_scheduled(db.reader, id_)
        if row is None:
            raise UnusableInput(f"there is no scheduled publish #{id_} (see bot schedule list)")
        if not await db.write(lambda c: cancel_scheduled(c, id_, "cancelled by bot schedule")):
            current = await get_scheduled(db.reader, id_)
            status = current.status if current else row.status
            raise CommandFailed(f"#{id_} is {status}, not pending: there is nothing to cancel")
        return row


def _tz() -> str:
    from bot.config import SettingsError, load_settings

    try:
        return load_settings().tz
    except SettingsError as exc:
        raise UnusableInput(str(exc)) from None
