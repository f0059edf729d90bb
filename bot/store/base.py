"""What every store module shares: its errors, and time as the store writes it.

Times are stored as SQLite's ``YYYY-MM-DD HH:MM:SS`` text in UTC, comparable with
``datetime('now')`` and with each other as strings. These helpers are the only
place that format is spelled.
"""

from __future__ import annotations

from datetime import UTC, datetime

STAMP = "%Y-%m-%d %H:%M:%S"


class StoreError(Exception):
    """A storage problem, described in one sentence."""


class DatabaseUnavailable(StoreError):
    """The database file cannot be used as configured (its permissions, its path, ...):
    an operator has to change something before trying again."""


class DatabaseFault(DatabaseUnavailable):
    """A fault of the environment that may pass by itself (a full disk, a file system
    remounted read-only, an I/O error, another process holding the lock, the file
    deleted under a running process): trying again later is the right answer."""


class DatabaseDamaged(DatabaseUnavailable):
    """The database is missing where one is expected, or fails its integrity check:
    restore a backup (or create it on purpose with `bot db init`)."""


def to_stamp(moment: datetime) -> str:
    """An aware datetime as the store's UTC timestamp text."""
    return moment.astimezone(UTC).strftime(STAMP)


def parse_stamp(text: str) -> datetime:
    """The store's UTC timestamp text as an aware datetime."""
    return datetime.strptime(text, STAMP).replace(tzinfo=UTC)


def utc_now() -> str:
    """Now, as the store's UTC timestamp text."""
    return datetime.now(UTC).strftime(STAMP)


def stamp(epoch: float) -> str:
    """Epoch seconds as the store's UTC timestamp text (whole seconds, rounded up)."""
    whole = int(epoch) + (1 if epoch % 1 else 0)
    return datetime.fromtimestamp(whole, UTC).strftime(STAMP)
