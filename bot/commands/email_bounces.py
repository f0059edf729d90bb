"""`bot email bounces [ADDRESS]`: the bounce reports and complaints received, newest
first, and what each did (suppressed, counted, nothing, or unknown: no subscriber of ours).

Recorded by `bot run` (bounce receiver or IMAP mailbox): hard bounces suppress at once,
soft ones are counted (3 within 14 days suppress), complaints unsubscribe from
everything. ``--format json`` prints an array of ``{"address", "kind", "status",
"recipient", "diagnostic", "effect", "source", "received"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.common import format_option, iso_utc, run_async, usable_address
from bot.commands.db import DB_OPTION, database

if TYPE_CHECKING:
    from bot.store.bounces import BounceEvent


def _record(found: BounceEvent) -> dict[str, object]:
    return {
        "address": found.address,
        "kind": found.kind,
        "status": found.status,
        "recipient": found.recipient,
        "diagnostic": found.diagnostic,
        "effect": found.effect,
        "source": found.source,
        "received": iso_utc(found.received_at),
    }


async def _recent(db_path: Path | None, address: str | None, limit: int) -> list[BounceEvent]:
    from bot.store.bounces import recent_bounces

    normalized = None if address is None else usable_address(address)
    async with database(db_path) as db:
        return await recent_bounces(db.reader, address=normalized, limit=limit)


@click.command()
@click.argument("address", required=False)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=50,
    show_default=True,
    help="Show at most this many reports.",
)
@format_option(
    'json: an array of {"address", "kind", "status", "recipient", "diagnostic",'
    ' "effect", "source", "received"}.'
)
@DB_OPTION
def bounces(address: str | None, limit: int, fmt: str, db_path: Path | None) -> None:
    """List the bounces, complaints and unsubscribe requests by mail received (of
    ADDRESS only, if given), newest first, with what each did: suppressed, counted
    (soft: 3 within 14 days suppress), unsubscribed (a mail to List-Unsubscribe's
    mailto), none (already suppressed or off the list, or not a failure) or unknown (no
    subscriber of ours)."""
    found = run_async(_recent(db_path, address, limit))
    if fmt == "json":
        click.echo(json.dumps([_record(f) for f in found], ensure_ascii=False, indent=2))
        return
    for item in found:
        who = item.address or item.recipient or "(unknown)"
        code = f" {item.status}" if item.status else ""
        said = f"  {item.diagnostic}" if item.diagnostic else ""
        click.echo(
            f"{iso_utc(item.received_at)}  {who}  {item.kind}{code}  {item.effect}"
            f"  via {item.source}{said}"
        )
    click.echo(f"{len(found)} report{'' if len(found) == 1 else 's'}")
