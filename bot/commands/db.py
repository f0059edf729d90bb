"""The database from the command line: opening it for commands (path from BOT_DB,
store errors as one sentence) and `bot db` maintenance (online backup)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import click

from bot.commands.common import CommandFailed, UnusableInput, run_async
from bot.store.base import StoreError
from bot.store.database import Database, open_database
from bot.store.db import default_db_path

DB_OPTION = click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Database file (default: $BOT_DB, else data/bot.sqlite3).",
)


@asynccontextmanager
async def database(path: Path | None, *, must_exist: bool = False) -> AsyncIterator[Database]:
    """The migrated archive; StoreError → CommandFailed (exit 1) with its sentence."""
    db_path = path or default_db_path()
    if must_exist and not db_path.exists():
        raise CommandFailed(f"there is no archive at {db_path} yet; run `bot import FOLDER` first")
    try:
        async with open_database(db_path) as db:
            yield db
    except StoreError as exc:
        raise CommandFailed(str(exc)) from None


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@click.argument("target", type=click.Path(path_type=Path, dir_okay=False), metavar="PATH")
@DB_OPTION
def backup(target: Path, db_path: Path | None) -> None:
    """Copy the live database to PATH with SQLite's online backup (safe while the bot runs)."""
    if target.exists():
        raise UnusableInput(f"{target} already exists; choose a new file name")
    run_async(_backup(target, db_path))
    click.echo(f"backed up to {target}")


async def _backup(target: Path, db_path: Path | None) -> None:
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        async with database(db_path, must_exist=True) as db:
            copy = sqlite3.connect(partial, check_same_thread=False)
            try:
                await db.reader.backup(copy)
            finally:
                copy.close()
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise CommandFailed(f"could not write the backup {target}: {exc}") from None
