"""Helpers shared by CLI commands: clear one-sentence failures and async twins."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from bot import exits
from bot.store.base import DatabaseDamaged, DatabaseFault, StoreError

T = TypeVar("T")

EXIT_ERRORS = exits.FAILED
EXIT_UNUSABLE = exits.CONFIG


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
