"""`bot email`: the maintainer's view of e-mail subscribers.

`add` signs an address up (a confirmation mail, or confirmed at once with the consent's
source), `remove` unsubscribes it, `list` shows them (``--format json``: an array of
``{"address", "status", "topics", "lang", "created", "confirmed", "reason"}``, a
machine contract), `import` adds the rows of a CSV file one by one like `add`, and
`export` writes them all as CSV.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from bot.commands.common import (
    CommandFailed,
    UnusableInput,
    format_option,
    iso_utc,
    run_async,
    usable_address,
)
from bot.commands.db import DB_OPTION, database
from bot.commands.email_bounces import bounces

if TYPE_CHECKING:
    import aiosqlite

    from bot.config import Settings
    from bot.mail.mailer import Mailer
    from bot.store.database import Database
    from bot.store.subscribers import Subscriber
    from bot.store.topics import Topic

STATUSES = ("unconfirmed", "confirmed", "unsubscribed", "bounced", "complained")
CSV_FIELDS = ("address", "status", "topics", "lang", "created", "confirmed", "reason", "source")
TOPIC_OPTION = click.option(
    "--topic",
    "topics",
    multiple=True,
    metavar="T",
    help="A topic like in Telegram (量化, ncnn, -招聘 to exclude). Repeat for several.",
)
LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Language of the mails (default: $BOT_DEFAULT_LANG).",
)
CONFIRMED_OPTION = click.option(
    "--confirmed",
    is_flag=True,
    help="Consent was given elsewhere: subscribe at once, no confirmation mail (needs --source).",
)
SOURCE_OPTION = click.option(
    "--source",
    default=None,
    metavar="TEXT",
    help="With --confirmed: where the consent came from (kept with the subscriber).",
)


@click.group()
def email() -> None:
    """E-mail subscribers: add, remove, list, import, export, bounces, test."""


def _settings() -> Settings:
    from bot.config import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        raise UnusableInput(str(exc)) from None


def _consent(confirmed: bool, source: str | None) -> str | None:
    if confirmed and not (source or "").strip():
        raise UnusableInput("--confirmed needs --source saying where the consent came from")
    if source is not None and not confirmed:
        raise UnusableInput("--source goes with --confirmed (a confirmation mail records its own)")
    if source is not None and any(c in source for c in "\r\n\x00"):
        raise UnusableInput("--source must be one line of text")
    return source


@email.command()
@click.argument("address")
@TOPIC_OPTION
@LANG_OPTION
@CONFIRMED_OPTION
@SOURCE_OPTION
@DB_OPTION
def add(
    address: str,
    topics: tuple[str, ...],
    lang: str | None,
    confirmed: bool,
    source: str | None,
    db_path: Path | None,
) -> None:
    """Sign ADDRESS up: send it one confirmation mail (at most one an hour).

    With --confirmed --source TEXT the address is subscribed at once and TEXT records
    where its consent came from. Needs BOT_SMTP_URL, BOT_SECRET_KEY and BOT_PUBLIC_URL
    to send the mail.
    """
    detail = _consent(confirmed, source)
    usable_address(address)
    settings = _settings()
    line = run_async(
        _add_one(db_path, settings, address, list(topics), lang, confirmed, detail, "admin")
    )
    click.echo(line)


async def _add_one(
    db_path: Path | None,
    settings: Settings,
    address: str,
    topics: list[str],
    lang: str | None,
    confirmed: bool,
    detail: str | None,
    source: Literal["admin", "import"],
) -> str:
    from bot.mail.mailer import Mailer

    mailer = None if confirmed else _mailer(settings)
    try:
        async with database(db_path) as db:
            return await _add(db, mailer, settings, address, topics, lang, detail, source)
    finally:
        if mailer is not None:
            await Mailer.close(mailer)


def _mailer(settings: Settings) -> Mailer:
    from bot.mail.mailer import Mailer, MailerError

    try:
        return Mailer.from_settings(settings)
    except MailerError as exc:
        raise UnusableInput(str(exc)) from None


async def _add(
    db: Database,
    mailer: Mailer | None,
    settings: Settings,
    address: str,
    topics: list[str],
    lang: str | None,
    detail: str | None,
    source: Literal["admin", "import"],
) -> str:
    """One sign-up (a confirmation mail when ``mailer``, else confirmed): the line to print,
    or CommandFailed with one sentence."""
    from bot.publishing.optin import OptInError, address_of, subscribe
    from bot.store.base import StoreError
    from bot.store.subscribers import add_confirmed

    language: Literal["zh", "en"] = "en" if (lang or settings.default_lang) == "en" else "zh"
    try:
        if mailer is None:
            normalized = address_of(address)
            done = await db.write(
                lambda conn: add_confirmed(
                    conn,
                    normalized,
                    topics=topics,
                    language=language,
                    source=source,
                    detail=detail,
                )
            )
            return f"{done.address}: confirmed (consent: {done.source_detail})"
        outcome = await subscribe(db, mailer, address, topics, language, source)
    except (OptInError, StoreError) as exc:
        raise CommandFailed(str(exc).rstrip(".")) from None
    if outcome.status == "sent":
        return f"{outcome.address}: confirmation mail sent"
    if outcome.status == "throttled":
        return f"{outcome.address}: a confirmation mail went out within the hour; nothing sent"
    return f"{outcome.address}: already confirmed or suppressed; nothing changed"


@email.command()
@click.argument("address")
@DB_OPTION
def remove(address: str, db_path: Path | None) -> None:
    """Unsubscribe ADDRESS (kept as unsubscribed, so an import cannot mail it unasked)."""
    click.echo(run_async(_remove(db_path, address)))


async def _remove(db_path: Path | None, address: str) -> str:
    from bot.store.subscribers import find_subscriber, unsubscribe

    normalized = usable_address(address)
    async with database(db_path) as db:

        async def change(conn: aiosqlite.Connection) -> Subscriber | None:
            found = await find_subscriber(conn, normalized)
            if found is None:
                return None
            return await unsubscribe(conn, found.id, "removed by the maintainer")

        done = await db.write(change)
    if done is None:
        raise CommandFailed(f"{normalized} is not on the list")
    return f"{done.address}: {done.status}"


def _topics(topics: list[Topic]) -> list[str]:
    return [("-" if t.exclude else "") + t.display for t in topics]


def _record(subscriber: Subscriber, topics: list[Topic]) -> dict[str, object]:
    return {
        "address": subscriber.address,
        "status": subscriber.status,
        "topics": _topics(topics),
        "lang": subscriber.language,
        "created": iso_utc(subscriber.created_at),
        "confirmed": None if subscriber.confirmed_at is None else iso_utc(subscriber.confirmed_at),
        "reason": subscriber.reason,
    }


async def _all(db_path: Path | None, status: str | None) -> list[tuple[Subscriber, list[Topic]]]:
    from bot.store.subscribers import list_subscribers

    async with database(db_path) as db:
        return await list_subscribers(db.reader, status)  # type: ignore[arg-type]


@email.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only this status.")
@format_option(
    'json: an array of {"address", "status", "topics", "lang", "created", "confirmed", "reason"}.'
)
@DB_OPTION
def list_(status: str | None, fmt: str, db_path: Path | None) -> None:
    """List e-mail subscribers, oldest first, with status, topics and any suppression."""
    found = run_async(_all(db_path, status))
    if fmt == "json":
        click.echo(json.dumps([_record(s, t) for s, t in found], ensure_ascii=False, indent=2))
        return
    for subscriber, topics in found:
        words = " ".join(_topics(topics)) or "(everything)"
        why = f"  ({subscriber.reason})" if subscriber.reason else ""
        click.echo(
            f"{subscriber.address}  {subscriber.status}  {subscriber.language}  {words}{why}"
        )
    click.echo(f"{len(found)} subscriber{'' if len(found) == 1 else 's'}")


@email.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@CONFIRMED_OPTION
@SOURCE_OPTION
@DB_OPTION
def import_(file: Path, confirmed: bool, source: str | None, db_path: Path | None) -> None:
    """Add the addresses of a CSV FILE, row by row like `bot email add`.

    Columns (a header row): address, and optionally topics (separated by ;) and lang.
    Each refused row gets one line on stderr; exit 1 when any was refused.
    """
    detail = _consent(confirmed, source)
    settings = _settings()
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnusableInput(
            f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or "address" not in rows[0]:
        raise UnusableInput(f"{file} needs a header row with an address column")
    added, refused = run_async(_import(db_path, settings, file, rows, confirmed, detail))
    click.echo(f"{added} added, {refused} refused")
    if refused:
        sys.exit(1)


async def _import(
    db_path: Path | None,
    settings: Settings,
    file: Path,
    rows: list[dict[str, str]],
    confirmed: bool,
    detail: str | None,
) -> tuple[int, int]:
    from bot.mail.mailer import Mailer

    mailer = None if confirmed else _mailer(settings)
    added = refused = 0
    try:
        async with database(db_path) as db:
            for number, row in enumerate(rows, start=2):
                topics = [t for t in (row.get("topics") or "").split(";") if t.strip()]
                lang = (row.get("lang") or "").strip() or None
                if lang not in (None, "zh", "en"):
                    click.echo(f"{file}:{number}: lang must be zh or en", err=True)
                    refused += 1
                    continue
                try:
                    line = await _add(
                        db,
                        mailer,
                        settings,
                        row.get("address") or "",
                        topics,
                        lang,
                        detail,
                        "import",
                    )
                except CommandFailed as exc:
                    click.echo(f"{file}:{number}: {exc.message}", err=True)
                    refused += 1
                    continue
                click.echo(line)
                added += 1
    finally:
        if mailer is not None:
            await Mailer.close(mailer)
    return added, refused


@email.command()
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only this status.")
@DB_OPTION
def export(status: str | None, db_path: Path | None) -> None:
    """Write every e-mail subscriber as CSV on stdout (topics separated by ;)."""
    found = run_async(_all(db_path, status))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for subscriber, topics in found:
        record = _record(subscriber, topics)
        writer.writerow(
            [
                record["address"],
                record["status"],
                ";".join(_topics(topics)),
                record["lang"],
                record["created"],
                record["confirmed"] or "",
                record["reason"] or "",
                subscriber.source_detail or subscriber.source,
            ]
        )
    click.echo(out.getvalue(), nl=False)


email.add_command(bounces)  # `bot email bounces`, in its own module


def _register_test() -> None:
    from bot.commands.email_test import test

    email.add_command(test)


_register_test()
