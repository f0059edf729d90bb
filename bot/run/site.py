"""The HTTP server of `bot run` without Telegram: `GET /healthz` and the public site.

In an e-mail-only deployment (no ``BOT_TOKEN``) this is the whole HTTP side: the site
(bot.web: confirm and unsubscribe pages, the archive) and the health endpoint on
``BOT_LISTEN``. It has the shape of :class:`bot.run.updates.UpdateServer` (start, stop
taking work, close), so the daemon drives either the same way, and it never imports
aiogram. :func:`listen` is shared by both servers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

import aiosqlite
from aiohttp import web

from bot.config import Settings
from bot.logs import event
from bot.mail.mailer import Mailer
from bot.run.health import Counts, HealthState, add_health_route
from bot.store.database import Database
from bot.store.outbox import count_by_status
from bot.web import build_app

log = logging.getLogger("bot.run.site")


async def listen(
    app: web.Application, host: str, port: int, *, webhook: bool, logger: logging.Logger
) -> web.AppRunner:
    """Serve ``app`` on host:port and log ``http.listening`` on ``logger``; OSError (one
    sentence) when the port is taken."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    event(
        logger,
        "http.listening",
        host=host,
        port=runner.addresses[0][1],
        healthz="/healthz",
        webhook=webhook,
    )
    return runner


def counts_reader(conn: aiosqlite.Connection) -> Counts:
    """The outbox figures /healthz shows."""

    async def counts() -> dict[str, int]:
        by_status = await count_by_status(conn)
        return {
            "pending_deliveries": by_status["pending"] + by_status["sending"],
            "failed_deliveries": by_status["failed"],
        }

    return counts


def split_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


class HttpServer(Protocol):
    """The HTTP side the daemon drives: this module's :class:`SiteServer`, or
    :class:`bot.run.updates.UpdateServer` (Telegram's updates too)."""

    async def start(
        self, polling_timeout: int, stop: asyncio.Event, backoff: Sequence[float]
    ) -> None: ...
    def tasks(self) -> list[asyncio.Task[None]]: ...
    def failure(self) -> BaseException | None: ...
    async def stop_updates(self) -> None: ...
    async def close(self) -> None: ...


class SiteServer:
    """The site and /healthz on ``listen``; no updates to take."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        listen: str,
        state: HealthState,
        counts: Counts,
        mailer: Mailer | None = None,
    ) -> None:
        self.db, self.settings, self.state, self.counts = db, settings, state, counts
        self.mailer = mailer  # the daemon's: one SMTP pool for the site and the sender
        self.host, self.port = split_listen(listen)
        self.runner: web.AppRunner | None = None

    async def start(
        self, polling_timeout: int, stop: asyncio.Event, backoff: Sequence[float]
    ) -> None:
        app = build_app(self.db, self.settings, self.mailer)
        add_health_route(app, self.state, self.counts)
        self.runner = await listen(app, self.host, self.port, webhook=False, logger=log)

    def tasks(self) -> list[asyncio.Task[None]]:
        return []

    def failure(self) -> BaseException | None:
        return None

    async def stop_updates(self) -> None:
        """Nothing to stop taking: pages keep being served until :meth:`close`."""

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
