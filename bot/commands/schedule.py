"""`bot publish FILE --at TIME`: record a publish for `bot run` to fire (no aiogram here).

The issue's text is stored with the schedule, so the file may change or move
afterwards; `bot run` lints it again when it fires. ``TIME`` is in ``BOT_TZ``
unless it carries an offset.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.commands.common import UnusableInput
from bot.commands.db import database
from bot.run.lease import LEASE_NAME
from bot.store.base import to_stamp
from bot.store.leases import lease_holder
from bot.store.scheduled import add_scheduled

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


async def _record(
    text: str, file_name: str, force: bool, due: datetime, db_path: Path | None
) -> tuple[int, str | None]:
    async with database(db_path) as db:
        id_ = await db.write(
            lambda c: add_scheduled(
                c, file_name=file_name, content=text, due_at=to_stamp(due), force=force
            )
        )
        holder = await lease_holder(db.reader, LEASE_NAME)
    running = None
    if holder is not None and time.time() - holder.heartbeat < 60:
        running = f"bot run (pid {holder.pid} on {holder.host})"
    return id_, running


def schedule_publish(
    path: Path,
    text: str,
    force: bool,
    at: str,
    db_path: Path | None,
    grace_minutes: int,
    tz: str,
) -> str:
    """Record the publish; return what to tell the user."""
    due = parse_at(at, tz, datetime.now(UTC))
    id_, running = asyncio.run(_record(text, path.name, force, due, db_path))
    local = due.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")
    lines = [
        f"scheduled #{id_}: {path.name} will be published at {local} {tz}"
        f" ({due.strftime('%Y-%m-%d %H:%M:%S')} UTC)" + (" with --force" if force else "")
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
