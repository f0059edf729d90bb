"""The Telegram side of `bot run`: the bot, its updates and the chat sender.

Imported (in a thread: aiogram takes seconds) only when ``BOT_TOKEN`` is set, so an
e-mail-only deployment never loads aiogram. :class:`TelegramSide` gives the daemon what
it runs: :meth:`connect` (getMe until it answers), the update server (polling or
webhook, with /healthz and the site) and the chat sender as a :class:`Worker`.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot

from bot.config import Settings
from bot.delivery.client import DigestClient, open_bot
from bot.delivery.outbound import SharedLimiter
from bot.delivery.retry import RetryPolicy
from bot.delivery.sender import Sender, SenderOptions
from bot.logs import event
from bot.mail.mailer import Mailer
from bot.run.health import Counts, HealthState
from bot.run.options import RunOptions
from bot.run.startup import retrying
from bot.run.updates import UpdateServer, track_health
from bot.run.workers import Worker
from bot.store.database import Database
from bot.telegram.app import build_bot, build_dispatcher, interactive_limits

log = logging.getLogger("bot.run")


class TelegramSide:
    def __init__(
        self, settings: Settings, options: RunOptions, db: Database, health: HealthState
    ) -> None:
        self.settings, self.options, self.db, self.health = settings, options, db, health
        # One outbound path: replies and the sender's digests share the limiter.
        self.limiter = SharedLimiter(interactive_limits(settings))
        self.bot: Bot = build_bot(settings, self.limiter)
        track_health(self.bot, health)
        # The sender's own Bot: the lean HTTP path for its sends (bot.delivery.wire),
        # paced by the same limiter as the replies (the sender acquires it itself).
        self.sender_bot: Bot | None = None

    async def close(self) -> None:
        """Last of all: the sender needs the session until it has finished."""
        if self.sender_bot is not None:
            await self.sender_bot.session.close()
        await self.bot.session.close()

    async def connect(self, stop: asyncio.Event) -> None:
        """getMe until it answers: a refused token exits 2 (configuration); passing
        failures (5xx, a proxy's 502 page, no connection) are retried with backoff.
        ``bot.me()`` keeps the answer, so polling does not ask again."""
        me = await retrying(
            self.bot.me,
            what="getMe",
            stop=stop,
            backoff=self.options.startup_backoff,
            api=self.settings.api_base,
        )
        if me is not None:
            event(log, "telegram.connected", bot=me.username or me.id, api=self.settings.api_base)

    def sender(self, owner: str) -> Worker:
        limits = self.limiter.limits
        token = self.bot.token
        self.sender_bot = self.sender_bot or open_bot(token, self.settings.api_base)
        sender = Sender(
            self.db,
            DigestClient(self.sender_bot, paid_broadcast=limits.paid_broadcast),
            owner=owner,
            options=SenderOptions(
                limits=limits, policy=RetryPolicy.for_minutes(self.settings.retry_for_minutes)
            ),
            limiter=self.limiter,
        )
        return Worker(
            "sender",
            sender.run,
            uncertain=lambda: sender.tally.uncertain,
            hint="sends cut short may have reached Telegram; they are resent at the next start",
        )

    def server(self, counts: Counts, mailer: Mailer | None = None) -> UpdateServer:
        options = self.options
        return UpdateServer(
            build_dispatcher(self.db, self.settings),
            self.bot,
            self.settings,
            options.webhook_url,
            options.listen,
            options.health_port,
            self.health,
            counts,
            db=self.db,
            mailer=mailer,
        )
