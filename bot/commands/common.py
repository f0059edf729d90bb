"""Helpers shared by CLI commands: clear one-sentence failures and async twins."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot import exits
from bot.store.base import DatabaseDamaged, DatabaseFault, StoreError

if TYPE_CHECKING:
    from bot.digest.model import Issue

T = TypeVar("T")

EXIT_ERRORS = exits.FAILED
EXIT_UNUSABLE = exits.CONFIG


def format_option(help: str, default: str = "text") -> Callable[[Any], Any]:
    """``--format text|json`` (the default listed first), passed on as ``fmt``."""
    choices = [default, *(c for c in ("text", "json") if c != default)]
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help=help,
    )


class UnusableInput(click.ClickException):
    """Input the command cannot use at all: one sentence on stderr, exit 2."""

    exit_code = EXIT_UNUSABLE


class CommandFailed(click.ClickException):
    """The command ran but failed: one sentence on stderr, exit 1."""

    exit_code = EXIT_ERRORS


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run the async twin of a sync click command."""
    import asyncio  # here, so light commands (parse, lint, search) don't pay its import

    return asyncio.run(coro)


class DatabaseFaulty(click.ClickException):
    """The environment failed the database (disk full, read-only remount, I/O): one
    sentence, exit 75 — trying again later may work."""

    exit_code = exits.TEMPFAIL


class DatabaseBroken(click.ClickException):
    """The database is missing or damaged: one sentence, exit 65 — restore a backup."""

    exit_code = exits.DAMAGED


def store_failure(
    exc: StoreError, *, otherwise: type[click.ClickException]
) -> click.ClickException:
    """A store error as the command's failure: its class chooses the exit status."""
    if isinstance(exc, DatabaseFault):
        return DatabaseFaulty(str(exc))
    if isinstance(exc, DatabaseDamaged):
        return DatabaseBroken(str(exc))
    return otherwise(str(exc))


def read_digest_issue(file: Path) -> Issue:
    """The issue in FILE, parsed; UnusableInput when it cannot be read or holds no entry."""
    from bot.digest.parse import parse_issue  # here, so commands without a file don't pay it
    from bot.issuefile import IssueFileError, read_issue_text

    try:
        text = read_issue_text(file)
    except IssueFileError as exc:
        raise UnusableInput(str(exc)) from None
    issue = parse_issue(text, filename=file.name)
    if not issue.entries:
        raise UnusableInput(
            f"{file} holds no digest entries (is it an issue? `bot lint {file}` says more)"
        )
    return issue


def usable_address(address: str) -> str:
    """ADDRESS normalized for the subscriber list; UnusableInput saying why it is not one."""
    from bot.publishing.optin import OptInError, address_of

    try:
        return address_of(address)
    except OptInError as exc:
        raise UnusableInput(str(exc)) from None


def iso_utc(stamp: str) -> str:
    """A stored UTC timestamp ("2026-12-05 06:35:09") as ISO 8601 ("2026-12-05T06:35:09Z")."""
    return stamp.replace(" ", "T") + "Z"
