"""Command arguments: bounded, and split the way readers type them."""

from __future__ import annotations

from bot.text.normalize import strip_invisible
from bot.text.typed import split_terms as split_terms  # where the routers take it from

MAX_ARGS = 512  # characters of arguments any command accepts


class ArgsTooLong(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"arguments longer than {limit} characters")
        self.limit = limit


def bounded(args: str | None, limit: int = MAX_ARGS) -> str:
    """The stripped arguments without invisible characters (zero-width, NUL, controls),
    or ArgsTooLong when a user pasted a novel."""
    text = strip_invisible(args or "").strip()
    if len(text) > limit:
        raise ArgsTooLong(limit)
    return text
