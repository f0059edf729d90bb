"""`bot run`'s lifecycle: lease → channels, scheduler, site → orderly stop.

Every part (handlers, senders, scheduler jobs, the bounce receiver, /healthz) shares
the process's one ``Database``: reads on its reader, writes through ``Database.write``.

Telegram is one side among others: with ``BOT_TOKEN`` the daemon loads
:mod:`bot.run.telegram` (aiogram, in a thread) for the bot, its updates and the chat
sender; without it (an e-mail-only deployment, ``BOT_SMTP_URL``) it runs the
scheduler, the publishing jobs, the site with /healthz and the bounce intake, and
aiogram is never imported.

Stopping (SIGTERM, SIGINT, or the ``stop`` event) goes in order: stop taking updates,
stop the scheduler after its running jobs, let the workers (senders, IMAP poller)
finish what is in flight (for ``STOP_BUDGET`` seconds; the rest are cancelled and
recorded as uncertain), stop the bounce receiver, release the lease, close the
database — well within the 10 s systemd and Docker allow.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from contextlib import AsyncExitStack
from datetime import timedelta
from functools import partial
from typing import Protocol

from bot import exits
from bot.config import Settings
from bot.delivery.email_sender import EmailSender
from bot.delivery.email_state import EmailOptions
from bot.logs import event
from bot.mail.mailer import Mailer
from bot.publishing.release import publish_text
from bot.run.bounces import BounceIntake
from bot.run.health import Counts, HealthState
from bot.run.jobs import DbJobSource, DbWatch, DeliveryReporter
from bot.run.lease import DaemonLease
from bot.run.options import RunOptions
from bot.run.scheduler import DaemonScheduler
from bot.run.site import HttpServer, SiteServer, counts_reader
from bot.run.workers import STOP_BUDGET, Worker, finish
from bot.store.database import Database

log = logging.getLogger("bot.run")
# Reused SMTP connections of the e-mail sender (they share one BOT_MAIL_RATE).
MAIL_CONNECTIONS = 4

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = exits.OK, exits.FAILED, exits.CONFIG
__all__ = ["STOP_BUDGET", "Daemon"]


class TelegramSide(Protocol):
    """What :class:`bot.run.telegram.TelegramSide` gives the daemon (a protocol, so this
    module never imports aiogram, not even for type checking)."""

    async def connect(self, stop: asyncio.Event) -> None: ...
    async def close(self) -> None: ...
    def sender(self, owner: str) -> Worker: ...
    def server(self, counts: Counts, mailer: Mailer | None) -> HttpServer: ...


class Daemon:
    def __init__(self, settings: Settings, options: RunOptions, db: Database) -> None:
        self.settings = settings
        self.options = options
        self.db = db  # the process's one Database: every part reads and writes through it
        mode = "webhook" if options.webhook_url else "polling"
        self.health = HealthState(mode=mode if settings.token is not None else "email")
        self.ready = asyncio.Event()
        self.exit_code = EXIT_OK
        self.scheduler: DaemonScheduler | None = None  # while running
        self.watch: DbWatch | None = None  # while running
        self.bounces: BounceIntake | None = None  # while running

    async def run(self, stop: asyncio.Event, lease: DaemonLease) -> int:
        """Run (holding ``lease``) until ``stop`` is set or a part fails; return the exit
        status. The caller takes the lease first: see :func:`bot.run.lease.held_lease`."""
        async with AsyncExitStack() as stack:
            await self._serve(stack, lease, stop)
        event(log, "run.stopped", exit=self.exit_code)
        return self.exit_code

    async def _telegram(self, stack: AsyncExitStack, stop: asyncio.Event) -> TelegramSide | None:
        """The Telegram side when BOT_TOKEN is set (aiogram imported in a thread, so the
        lease heartbeat goes on), connected; None for an e-mail-only run."""
        if self.settings.token is None:
            return None
        module = await asyncio.to_thread(importlib.import_module, "bot.run.telegram")
        side: TelegramSide = module.TelegramSide(self.settings, self.options, self.db, self.health)
        stack.push_async_callback(side.close)  # last: the sender needs it until the end
        await side.connect(stop)
        return side

    def _workers(
        self, telegram: TelegramSide | None, mailer: Mailer | None, lease: DaemonLease
    ) -> list[Worker]:
        """Everything that runs beside the scheduler until the stop: the chat sender, the
        e-mail sender (one SMTP pool, so one ``BOT_MAIL_RATE``) and the IMAP poller."""
        workers: list[Worker] = []
        if telegram is not None:
            workers.append(telegram.sender(owner=f"run-{lease.owner[:12]}"))
        if mailer is not None:
            options = EmailOptions.for_minutes(self.settings.mail_retry_for_minutes)
            sender = EmailSender(self.db, mailer, options, owner=f"mail-{lease.owner[:12]}")
            hint = "mails not handed to the server go back to pending for the next start"
            workers.append(Worker("email_sender", sender.run, hint=hint))
        if self.bounces is not None and self.bounces.poller is not None:
            workers.append(Worker("imap", self.bounces.run_poller))
        return workers

    async def _serve(self, stack: AsyncExitStack, lease: DaemonLease, stop: asyncio.Event) -> None:
        settings, options = self.settings, self.options
        telegram = await self._telegram(stack, stop)
        if stop.is_set():
            return
        reporter = DeliveryReporter(self.db)

        # The senders poll the outbox themselves (due rows, not_before included) every
        # second; the scheduler's drain and wake-up jobs report each issue once drained.
        source = DbJobSource(
            self.db,
            owner=lease.owner,
            publish=partial(publish_text, settings=settings),
            drain=reporter.check,
            grace=timedelta(minutes=settings.publish_grace_minutes),
        )
        await source.recover()
        # The database file deleted or replaced, or damaged: stop taking work, say so.
        watch = self.watch = DbWatch(self.db)
        self.health.db_probe = self.db.file_problem
        scheduler = self.scheduler = DaemonScheduler(
            source,
            poll_seconds=options.poll_seconds,
            drain_seconds=options.drain_seconds,
            checks=[
                ("db:watch", watch.watch, options.watch_seconds),
                ("db:check", watch.check, options.check_seconds),
            ],
        )
        counts = counts_reader(self.db.reader)
        # One mailer: the site's confirmation mails and the sender's digests share its
        # SMTP pool, so BOT_MAIL_RATE is one rate for all of them.
        mailer = None
        if settings.email_enabled:
            mailer = Mailer.from_settings(settings, pool_size=MAIL_CONNECTIONS)
            stack.push_async_callback(mailer.close)  # after the site and the sender
        server: HttpServer = (
            telegram.server(counts, mailer)
            if telegram is not None
            else SiteServer(self.db, settings, options.listen, self.health, counts, mailer)
        )
        bounces = self.bounces = BounceIntake(self.db, settings)
        stack.push_async_callback(bounces.close)
        await bounces.start(options.imap_poll_seconds)  # OSError: the port is taken

        # May refuse (RunRefused, OSError for a port); retries passing API failures.
        await server.start(options.polling_timeout, stop, options.startup_backoff)
        if stop.is_set():
            await server.close()
            return
        workers = self._workers(telegram, mailer, lease)
        waiters = [
            asyncio.create_task(stop.wait()),
            asyncio.create_task(lease.lost.wait()),
            asyncio.create_task(watch.failed.wait()),
            *(worker.start() for worker in workers),
            *server.tasks(),
        ]
        try:
            await scheduler.start()
            event(
                log,
                "run.started",
                mode=self.health.mode,
                pid=os.getpid(),
                db=str(settings.db),
                api=settings.api_base if telegram is not None else "-",
                tz=settings.tz,
            )
            self.ready.set()
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if lease.lost.is_set():
                self.exit_code = EXIT_FAILED
            if watch.failed.is_set():
                self.health.db_problem = watch.problem
                self.exit_code = watch.exit_code
            self.health.stopping = True
            event(log, "run.stopping")
            await server.stop_updates()
            failure = server.failure()
            if failure is not None:
                event(
                    log,
                    "polling.failed",
                    logging.ERROR,
                    error=f"{type(failure).__name__}: {failure}",
                )
                self.exit_code = EXIT_FAILED
            await scheduler.stop()
            status = await finish(workers, self.db.path)
            if status is not None and self.exit_code in (EXIT_OK, EXIT_FAILED):
                self.exit_code = status
            await bounces.close()
            await reporter.check()
            await server.close()
            for waiter in waiters[:3]:
                waiter.cancel()
