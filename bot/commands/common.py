"""Helpers shared by CLI commands: clear one-sentence failures and async twins."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

import click

T = TypeVar("T")

EXIT_ERRORS = 1
EXIT_UNUSABLE = 2


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
