"""How `bot run` was asked to run (kept apart from the daemon so that reading options
and refusing bad ones does not import aiogram)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.run.lease import DEFAULT_TTL

STARTUP_BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # then every 30 s until it works


class RunRefused(Exception):
    """The daemon cannot start with this configuration: one sentence, exit 2."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    webhook_url: str | None = None
    listen: str = "127.0.0.1:8080"
    health_port: int | None = None
    standby: bool = False
    lease_ttl: float = DEFAULT_TTL
    poll_seconds: float = 1.0
    drain_seconds: float = 5.0
    polling_timeout: int = 10
    init: bool = False  # create the database when there is none (`bot run --init`)
    watch_seconds: float = 2.0  # is the database file still the one opened? (a stat)
    check_seconds: float = 3600.0  # PRAGMA quick_check while running
    startup_backoff: tuple[float, ...] = STARTUP_BACKOFF  # waits between start-up retries
    imap_poll_seconds: float = 60.0  # how often BOT_BOUNCE_IMAP_URL is read
