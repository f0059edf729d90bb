"""`bot email test ADDRESS [FILE]`: send one digest to one address now.

The digest is FILE (an issue file) or the latest published issue, built by
:func:`bot.delivery.email_message.digest_message` exactly as the outbox's mails are
(headers, VERP, List-Unsubscribe), with the address's topics and language when it is
subscribed (else every entry, in BOT_DEFAULT_LANG). It goes straight to BOT_SMTP_URL,
not through the outbox: nothing is recorded, nothing is retried. The server's answer is
printed (``250 …``); a refusal is one sentence and exit 1. The SMTP password is never
shown (bot.mail.smtp masks it everywhere).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.common import (
    CommandFailed,
    UnusableInput,
    read_digest_issue,
    run_async,
    usable_address,
)
from bot.commands.db import DB_OPTION, database

if TYPE_CHECKING:
    import aiosqlite

    from bot.config import Settings
    from bot.delivery.email_message import Reader
    from bot.digest.model import Issue
    from bot.render.digest import Tags


@click.command("test")
@click.argument("address")
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@DB_OPTION
def test(address: str, file: Path | None, db_path: Path | None) -> None:
    """Send one digest to ADDRESS now: FILE, or the latest published issue.

    Uses the address's topics and language if it is subscribed (else every entry), the
    same headers as every digest mail, and BOT_SMTP_URL directly (not the outbox).
    Prints the mail server's answer; a refusal exits 1.
    """
    from bot.commands.email import _settings

    normalized = usable_address(address)
    settings = _settings()
    issue = read_digest_issue(file) if file is not None else None
    click.echo(run_async(_send(db_path, settings, normalized, issue)))


async def _send(db_path: Path | None, settings: Settings, address: str, issue: Issue | None) -> str:
    from bot.delivery.email_message import digest_message
    from bot.mail.mailer import Mailer, MailerError
    from bot.mail.message import HeaderError

    try:
        mailer = Mailer.from_settings(settings)
    except MailerError as exc:
        raise UnusableInput(str(exc)) from None
    try:
        async with database(db_path) as db:
            issue, tags = await _issue(db.reader, issue)
            reader = await _reader(db.reader, address, settings.default_lang)
        try:
            message = digest_message(issue, reader, mailer, tags=tags)
        except HeaderError as exc:
            raise CommandFailed(f"the mail to {address} cannot be built: {exc}") from None
        if message is None:
            raise CommandFailed(
                f"no entry of {issue.date} matches the topics of {address}: nothing was sent"
            )
        outcome = await mailer.pool.deliver(message, mailer.signer)
    finally:
        await mailer.close()
    answer = f"{outcome.code} {outcome.text}" if outcome.code else outcome.text
    if outcome.sent:
        return f"{answer} — {issue.date} sent to {address} ({message.message_id})"
    if outcome.code is None:
        raise CommandFailed(f"the mail to {address} could not be delivered: {answer}")
    raise CommandFailed(f"the mail server refused the mail to {address}: {answer}")


async def _issue(conn: aiosqlite.Connection, issue: Issue | None) -> tuple[Issue, Tags | None]:
    from bot.store.entry_topics import issue_tags
    from bot.store.issues import get_issue

    if issue is not None:
        return issue, None
    stored = await get_issue(conn)
    if stored is None:
        raise UnusableInput("no issue is published yet: name an issue FILE to send")
    return stored.issue, await issue_tags(conn, stored.id)


async def _reader(conn: aiosqlite.Connection, address: str, default_lang: str) -> Reader:
    from bot.delivery.email_message import Reader, reader_topics
    from bot.store.subscribers import find_subscriber
    from bot.store.topics import subscriber_topics

    found = await find_subscriber(conn, address)
    if found is None:
        return Reader(0, address, default_lang)
    if found.status != "confirmed":  # a test may go anywhere, but say what the list says
        why = f" ({found.reason})" if found.reason else ""
        click.echo(
            f"note: {address} is {found.status}{why}: the digest is not mailed to it", err=True
        )
    topics = reader_topics(await subscriber_topics(conn, found.id))
    return Reader(found.id, address, found.language, "full", topics)
