"""`bot publish FILE`: lint, ingest in one transaction, and say what goes out.

Ingest and enqueue are one transaction (bot.publishing, shared with the daemon
and Telegram's /publish); ``--send`` then delivers in the foreground, ``--wait``
shows the progress.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.common import CommandFailed, UnusableInput, run_async
from bot.commands.db import DB_OPTION, database
from bot.digest.model import Finding, Issue

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.publishing.pipeline import Published


def _finding(path: Path, finding: Finding) -> str:
    return f"{path}:{finding.line}: {finding.severity} {finding.code}: {finding.message}"


async def _publish(
    path: Path, text: str, issue: Issue, dry_run: bool, db_path: Path | None, settings: Settings
) -> tuple[Published, str | None]:
    """What was (or, dry run, would be) published and queued, and who will send it."""
    from bot.delivery.foreground import who_sends
    from bot.publishing.pipeline import publish_issue
    from bot.store.base import StoreError

    async with database(db_path) as db:
        try:
            published = await publish_issue(db, issue, text, settings, dry_run=dry_run)
        except StoreError as exc:
            raise UnusableInput(f"{path}: {exc}") from None
        return published, None if dry_run else await who_sends(db.reader)


@click.command()
@click.argument("file", type=click.Path(path_type=Path), metavar="FILE")
@click.option("--force", is_flag=True, help="Publish even when lint finds errors.")
@click.option(
    "--dry-run", is_flag=True, help="Lint and show what would change and be sent; write nothing."
)
@click.option(
    "--at",
    "at",
    metavar="TIME",
    help="Publish later: at TIME ('2026-12-01 09:00', in BOT_TZ), done by the running"
    " `bot run`. Lint runs now too.",
)
@click.option(
    "--send",
    is_flag=True,
    help="Send the queued messages now, from this process (when no `bot run` is up).",
)
@click.option(
    "--wait", is_flag=True, help="Show a progress bar until this issue's messages have gone out."
)
@click.option(
    "--date",
    "date",
    metavar="YYYY-MM-DD",
    help="The issue's date when the heading and the file name disagree: one of the two.",
)
@click.option(
    "--also",
    is_flag=True,
    help="With --at: keep the issue's other pending schedules instead of replacing them.",
)
@DB_OPTION
def publish(
    file: Path,
    force: bool,
    dry_run: bool,
    db_path: Path | None,
    at: str | None,
    send: bool,
    wait: bool,
    date: str | None,
    also: bool,
) -> None:
    """Lint a released issue FILE, ingest it into the archive and deliver it.

    Refuses when lint finds errors (they are printed) unless --force, and when the
    heading's date differs from the file name's unless --date names one. A revised
    file of an issue already published updates it in place: only new or changed
    entries go out. Publishing an identical file again changes nothing.

    Creates the archive when there is none (a maintainer's first publish); `bot run`
    never does, so check that BOT_DB is the database the bot uses.
    """
    from bot.digest.lint import lint_issue
    from bot.digest.parse import parse_issue
    from bot.issuefile import IssueFileError, read_issue_text

    try:
        text = read_issue_text(file)
    except IssueFileError as exc:
        raise UnusableInput(str(exc).rstrip(".")) from None
    issue = _dated(parse_issue(text, filename=file.name), date)
    findings = lint_issue(issue, text)
    for finding in findings:
        click.echo(_finding(file, finding), err=True)
    if issue.other_date is not None:
        raise CommandFailed(
            f"not published: the heading says {issue.date} but the file name says"
            f" {issue.other_date}; say which is meant with --date (--force does not do it)"
        )
    if also and at is None:
        raise UnusableInput("--also goes with --at only: drop it")
    errors = sum(1 for f in findings if f.severity == "error")
    if errors and not force:
        raise CommandFailed(
            f"not published: lint found {errors} error{'s' if errors != 1 else ''}"
            " (fix them, or use --force)"
        )
    settings = _delivery_settings(send, wait, dry_run or at is not None)
    if at is not None:
        click.echo(_schedule(file, text, issue, force, dry_run, at, also, db_path, settings))
        return
    published, sender = run_async(_publish(file, text, issue, dry_run, db_path, settings))
    if send:
        sender = "this process (--send)"
    click.echo(_describe(published, sender, dry_run))
    if not dry_run and (send or wait):
        from bot.commands.delivery import deliver_after_publish

        click.echo(
            deliver_after_publish(
                settings, db_path, published.ingested.issue_id, sender, send=send, wait=wait
            )
        )


def _dated(issue: Issue, date: str | None) -> Issue:
    """``issue`` with the date --date names, which must be its heading's or file name's."""
    if date is None:
        return issue
    dated = issue.with_date(date)
    if dated is None:
        named = " or ".join(d for d in (issue.date, issue.other_date) if d) or "none"
        raise UnusableInput(f"--date {date} is not the date this file names ({named})")
    return dated


def _delivery_settings(send: bool, wait: bool, later: bool) -> Settings:
    from bot.config import SettingsError, load_settings

    if (send or wait) and later:
        raise UnusableInput("--send and --wait do not go with --dry-run or --at: drop one of them")
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise UnusableInput(str(exc)) from None
    if send and settings.token is None:
        raise UnusableInput(
            "--send needs BOT_TOKEN (the token from @BotFather) in the environment or .env"
        )
    return settings


def _describe(report: Published, sender: str | None, dry_run: bool) -> str:
    r = report.ingested
    would = "would be " if dry_run else ""
    if r.status == "unchanged":
        return f"{r.date}: already published, identical file; nothing to send."
    if r.status == "new":
        head = f"{r.date}: {would}published as a new issue with {r.entries} entries."
    else:
        head = (
            f"{r.date}: {would}updated in place: {len(r.added)} added, "
            f"{len(r.changed)} changed, {len(r.removed)} removed."
        )
    lines = [head]
    if report.to_send:
        lines.append(
            f"{len(report.to_send)} new or changed entries {'would ' if dry_run else ''}go to"
            f" {report.chats_served} of"
            f" {report.chats} active chats (by their topics):"
        )
        lines += [f"  [{e.section}] {e.title}" for e in report.to_send]
    else:
        lines.append("No new or changed entries to send.")
    if report.queued is not None:
        from bot.delivery.foreground import describe_queued

        lines += describe_queued(report.queued, sender, dry_run)
    if report.mails:
        plural = "" if report.mails == 1 else "s"
        lines.append(
            f"E-mail: {report.mails} digest mail{plural} {'would be ' if dry_run else ''}queued"
            " (one per confirmed subscriber whose topics match)."
        )
    if dry_run:
        lines.append("Dry run: the archive was not changed.")
    return "\n".join(lines)


def _schedule(
    file: Path,
    text: str,
    issue: Issue,
    force: bool,
    dry_run: bool,
    at: str,
    also: bool,
    db_path: Path | None,
    settings: Settings,
) -> str:
    from bot.commands.schedule import schedule_publish

    if dry_run:
        raise UnusableInput("--at and --dry-run do not go together: drop one of them")
    return schedule_publish(
        file,
        text,
        issue.date,
        force,
        at,
        db_path,
        settings.publish_grace_minutes,
        settings.tz,
        also=also,
    )
