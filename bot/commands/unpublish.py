"""`bot unpublish DATE`: withdraw an issue that should not have gone out (no aiogram here).

It asks first (``--yes`` skips the question, and is required without a terminal),
then, in one transaction, removes the issue from the archive and queues the deletion
of every message sent for it — or, for a message older than Telegram's 48 h, an edit
to a short withdrawn note — which the running sender carries out. Each withdrawal
is recorded (`unpublished_issues`: date, when, by whom, how many messages, and how
many e-mails had been sent — those cannot be withdrawn, and are not sent again).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import click

from bot.commands.common import CommandFailed, UnusableInput, run_async
from bot.commands.db import DB_OPTION, database
from bot.store.unpublish import WithdrawalPlan

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


async def _plan(db_path: Path | None, date: str) -> WithdrawalPlan | None:
    import time

    from bot.store.unpublish import withdrawal_plan

    async with database(db_path) as db:
        return await withdrawal_plan(db.reader, date, now=time.time())


def _describe_plan(plan: WithdrawalPlan) -> str:
    sent = plan.deletes + plan.edits
    lines = [
        f"{plan.date} ({plan.title or 'untitled'}): {plan.entries} entries and"
        f" {_n(plan.revisions, 'revision')} leave the archive and search."
    ]
    lines.append(
        f"{_n(sent, 'message')} sent: {plan.deletes} to delete, {plan.edits} older than 47 h"
        " to edit to a withdrawn note; "
        f"{_n(plan.unsent, 'message')} not sent yet will not be."
    )
    if plan.emails:
        lines.append(
            f"{_n(plan.emails, 'e-mail')} sent cannot be withdrawn: they stay in the"
            " readers' mailboxes (publishing this date again will not mail them twice)."
        )
    if plan.sending:
        lines.append(f"{_n(plan.sending, 'message')} being sent right now.")
    return "\n".join(lines)


async def _unpublish(db_path: Path | None, date: str, by: str | None) -> str:
    from bot.delivery.foreground import who_sends
    from bot.publishing.unpublish import unpublish
    from bot.store.base import StoreError

    async with database(db_path) as db:
        try:
            done, cancelled = await unpublish(db, date, by=by)
        except StoreError as exc:
            raise CommandFailed(f"not unpublished: {exc}") from None
        sender = await who_sends(db.reader)
    lines = [
        f"unpublished {done.date} (record #{done.id}"
        + (f", by {done.unpublished_by}" if done.unpublished_by else "")
        + f"): {_n(done.deletes, 'message')} queued for deletion,"
        f" {done.edits} for an edit to the withdrawn note"
        + (f"; {_n(done.emails, 'e-mail')} already sent stay sent." if done.emails else ".")
    ]
    if cancelled:
        lines.append(
            "cancelled its pending schedule(s) " + ", ".join(f"#{i}" for i in cancelled) + "."
        )
    if done.deletes + done.edits:
        lines.append(
            f"{sender[0].upper() + sender[1:]} will do it."
            if sender
            else "No sender is running: start `bot run` (or run `bot publish --send`) to do it."
        )
    return "\n".join(lines)


def _who() -> str | None:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


@click.command()
@click.argument("date", metavar="DATE")
@click.option("--yes", is_flag=True, help="Do not ask; required when not run in a terminal.")
@click.option("--by", metavar="NAME", help="Who withdraws it, for the record (default: login).")
@DB_OPTION
def unpublish(date: str, yes: bool, by: str | None, db_path: Path | None) -> None:
    """Withdraw the published issue DATE (YYYY-MM-DD) and the messages sent for it.

    Removes the issue from the archive (entries, search, revisions, deliveries) and has
    the sender delete each message readers got — or, past Telegram's 48 hours, edit it
    to a short "withdrawn" note in the chat's language. E-mails already sent cannot be
    withdrawn (they are counted, and not sent again if DATE is published again). Asks
    for confirmation first.
    """
    try:
        if not _DATE.fullmatch(date):
            raise ValueError
        dt.date.fromisoformat(date)
    except ValueError:
        raise UnusableInput(f"{date!r} is not a date like 2021-01-05") from None
    plan = run_async(_plan(db_path, date))
    if plan is None:
        raise UnusableInput(f"there is no issue {date} in the archive (see bot issues)")
    click.echo(_describe_plan(plan))
    if not yes:
        if not sys.stdin.isatty():
            raise UnusableInput(
                "unpublish asks for confirmation: run it in a terminal, or add --yes"
            )
        mails = f" ({_n(plan.emails, 'e-mail')} sent cannot be withdrawn)" if plan.emails else ""
        if not click.confirm(f"Unpublish {date}{mails}?", default=False):
            raise CommandFailed("not unpublished: nothing changed")
    click.echo(run_async(_unpublish(db_path, date, by or _who())))
