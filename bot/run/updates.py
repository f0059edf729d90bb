"""Taking updates: long polling (default) or a webhook server, plus `GET /healthz`.

The public web site (bot.web) is served on the same server.

Webhook mode registers ``BOT_WEBHOOK_URL`` with Telegram together with
``BOT_WEBHOOK_SECRET``; requests without that secret in
``X-Telegram-Bot-Api-Secret-Token`` get 401 and never reach a handler. The
health endpoint shares the webhook server, or (polling) listens on ``--health-port``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject, Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.config import Settings
from bot.logs import event
from bot.mail.mailer import Mailer
from bot.run.health import Counts, HealthState, add_health_route
from bot.run.options import RunRefused
from bot.run.site import listen, split_listen
from bot.run.startup import retrying
from bot.store.database import Database
from bot.web import build_app

log = logging.getLogger("bot.run.updates")
POLLING_STOP_S = 1.0  # then polling (or its start-up calls) is cancelled


class _PollTracker(BaseRequestMiddleware):
    """Notes every successful getUpdates, for /healthz."""

    def __init__(self, state: HealthState) -> None:
        self.state = state

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        if isinstance(method, GetUpdates):
            self.state.polled()
        return response


def track_health(bot: Bot, state: HealthState) -> None:
    bot.session.middleware(_PollTracker(state))


class UpdateServer:
    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        settings: Settings,
        webhook_url: str | None,
        listen: str,
        health_port: int | None,
        state: HealthState,
        counts: Counts,
        db: Database | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        self.dp, self.bot, self.settings = dp, bot, settings
        self.mailer = mailer  # the daemon's: one SMTP pool for the site and the sender
        self.webhook_url = webhook_url
        self.host, self.port = split_listen(listen)
        if webhook_url is None and health_port is not None:
            self.port = health_port
        # The public site (bot.web) shares the server; BOT_PUBLIC_URL asks for it in
        # polling mode too.
        self.db = db
        site = db is not None and settings.public_url is not None
        self.serve_http = webhook_url is not None or health_port is not None or site
        self.state = state
        self.counts = counts
        self.runner: web.AppRunner | None = None
        self.polling: asyncio.Task[None] | None = None
        self.dp.update.outer_middleware(self._note_update)

    async def _note_update(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        update: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.state.updated()
        if isinstance(update, Update):
            event(log, "update", id=update.update_id, type=update.event_type)
        return await handler(update, data)

    def tasks(self) -> list[asyncio.Task[None]]:
        """Tasks whose end means the daemon must stop (polling that died)."""
        return [self.polling] if self.polling is not None else []

    async def start(
        self, polling_timeout: int, stop: asyncio.Event, backoff: Sequence[float]
    ) -> None:
        """Register with Telegram (retrying passing failures until ``stop``), then take
        updates. Polling's own getUpdates calls are retried by aiogram with backoff."""
        app = (
            web.Application() if self.db is None else build_app(self.db, self.settings, self.mailer)
        )
        add_health_route(app, self.state, self.counts)
        if self.webhook_url is not None:
            await self._start_webhook(app, stop, backoff)
            if stop.is_set():
                return
        else:
            # A webhook left from an earlier run would make getUpdates fail with 409.
            deleted = await retrying(
                lambda: self.bot.delete_webhook(drop_pending_updates=False),
                what="deleteWebhook",
                stop=stop,
                backoff=backoff,
            )
            if deleted is None:
                return
            self.polling = asyncio.create_task(
                self.dp.start_polling(
                    self.bot,
                    handle_signals=False,
                    close_bot_session=False,
                    polling_timeout=polling_timeout,
                ),
                name="polling",
            )
        if self.serve_http:
            try:
                self.runner = await listen(
                    app, self.host, self.port, webhook=self.webhook_url is not None, logger=log
                )
            except OSError:
                await self.stop_updates()
                raise

    async def _start_webhook(
        self, app: web.Application, stop: asyncio.Event, backoff: Sequence[float]
    ) -> None:
        assert self.webhook_url is not None
        url, secret = self.webhook_url, self.settings.webhook_secret
        handler = SimpleRequestHandler(
            self.dp, self.bot, secret_token=secret.get_secret_value() if secret else None
        )
        # Not handler.register(): its shutdown hook would close the bot's session while
        # the sender still finishes in-flight sends.
        app.router.add_post(urlsplit(url).path or "/", handler.handle)
        await self.dp.emit_startup(
            bot=self.bot, dispatcher=self.dp, bots=(self.bot,), **self.dp.workflow_data
        )
        try:
            done = await retrying(
                lambda: self.bot.set_webhook(
                    url,
                    secret_token=secret.get_secret_value() if secret else None,
                    allowed_updates=self.dp.resolve_used_update_types(),
                ),
                what="setWebhook",
                stop=stop,
                backoff=backoff,
            )
        except TelegramAPIError as exc:  # a refusal no retry fixes (a bad URL, say)
            raise RunRefused(f"Telegram refused the webhook {url}: {exc.message}") from None
        if done is not None:
            event(log, "webhook.set", url=url)

    def failure(self) -> BaseException | None:
        """Why polling ended by itself, if it did."""
        if self.polling is None or not self.polling.done() or self.polling.cancelled():
            return None
        return self.polling.exception()

    @property
    def bound_port(self) -> int | None:
        if self.runner is None or not self.runner.addresses:
            return None
        return int(self.runner.addresses[0][1])

    async def stop_updates(self) -> None:
        """Take no more updates (the webhook stays registered: Telegram keeps them for us)."""
        if self.polling is not None and not self.polling.done():
            # stop_polling waits until polling has stopped: polling still starting (slow
            # setMyCommands calls) would hold the whole stop up, so it is bounded.
            with contextlib.suppress(RuntimeError, TimeoutError):
                await asyncio.wait_for(self.dp.stop_polling(), POLLING_STOP_S)
            if not self.polling.done():
                self.polling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.polling
        if self.webhook_url is not None and self.runner is not None:
            await self.runner.cleanup()  # stops accepting; /healthz goes with it
            self.runner = None
            await self.dp.emit_shutdown(
                bot=self.bot, dispatcher=self.dp, bots=(self.bot,), **self.dp.workflow_data
            )

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
