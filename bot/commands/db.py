"""The database from the command line: opening it for commands (path from BOT_DB,
store errors as one sentence) and `bot db` maintenance: init, check, backup."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import click

from bot.commands.common import CommandFailed, UnusableInput, run_async, store_failure
from bot.store.base import StoreError
from bot.store.database import Database, open_database
from bot.store.db import backup_snapshot, check_file, create_private, default_db_path

DB_OPTION = click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Database file (default: $BOT_DB, else data/bot.sqlite3).",
)


@asynccontextmanager
async def database(path: Path | None, *, must_exist: bool = False) -> AsyncIterator[Database]:
    """The migrated archive; StoreError → one sentence: exit 75 for a fault that may pass
    (disk full, read-only file system), 65 for a damaged database, else 1."""
    db_path = path or default_db_path()
    if must_exist and not db_path.exists():
        raise CommandFailed(f"there is no archive at {db_path} yet; run `bot import FOLDER` first")
    try:
        async with open_database(db_path) as db:
            yield db
    except StoreError as exc:
        raise store_failure(exc, otherwise=CommandFailed) from None


@click.group()
def db() -> None:
    """Database maintenance: create (init), check, back up.

    `bot run` never creates a database: a missing file is refused, so a deleted
    database is not silently replaced by an empty one. `bot db init` (or
    `bot run --init`) creates it; `bot import` and `bot publish` also create a first
    archive when there is none, for a maintainer starting from scratch.
    """


@db.command()
@DB_OPTION
def init(db_path: Path | None) -> None:
    """Create the database (0600, migrated), or bring an existing one up to date."""
    path = db_path or default_db_path()
    existed = path.exists()
    run_async(_init(path))
    click.echo(f"{'up to date' if existed else 'created'}: {path}")


async def _init(path: Path) -> None:
    async with database(path):
        pass


@db.command()
@click.option("--full", is_flag=True, help="PRAGMA integrity_check (slower, also checks indexes).")
@DB_OPTION
def check(full: bool, db_path: Path | None) -> None:
    """Check the database file: PRAGMA quick_check (or integrity_check with --full).

    One line; exit 0 when it is sound, 1 when it is damaged (restore a backup) or missing.
    """
    path = db_path or default_db_path()
    problems = run_async(_check(path, full))
    pragma = "integrity_check" if full else "quick_check"
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CommandFailed(
            f"{path} is damaged: {problems[0]}{more}; restore a backup (see deploy/README.md)"
        )
    click.echo(f"ok: {path} passed {pragma}")


async def _check(path: Path, full: bool) -> list[str]:
    problems, _ = await check_file(path, full=full)
    return problems


@db.command()
@click.argument("target", type=click.Path(path_type=Path, dir_okay=False), metavar="PATH")
@DB_OPTION
def backup(target: Path, db_path: Path | None) -> None:
    """Copy the live database to PATH with SQLite's online backup (safe while the bot runs).

    The copy is created 0600 and verified before success is reported: quick_check on
    the copy, and as many rows in each main table as the database had when copied.
    """
    if target.exists():
        raise UnusableInput(f"{target} already exists; choose a new file name")
    counts = run_async(_backup(target, db_path))
    click.echo(
        f"backed up to {target} (verified: {counts['chats']} chats, {counts['outbox']} outbox rows)"
    )


async def _backup(target: Path, db_path: Path | None) -> dict[str, int]:
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        create_private(partial)
        async with database(db_path, must_exist=True) as db:
            expected = await backup_snapshot(db.reader, partial)
        problems, got = await check_file(partial)
        wrong = [f"{t}: {got.get(t)} rows, not {n}" for t, n in expected.items() if got.get(t) != n]
        if problems or wrong:
            found = f"quick_check: {problems[0]}" if problems else "; ".join(wrong)
            raise CommandFailed(
                f"the backup {target} failed its check ({found}); nothing was kept —"
                " the database itself may be damaged: run `bot db check`"
            )
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise CommandFailed(f"could not write the backup {target}: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return expected
