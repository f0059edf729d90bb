"""`bot run`'s lifecycle: lease → bot, sender, scheduler, updates → orderly stop.

Every part (handlers, sender, scheduler jobs, /healthz) shares the process's one
``Database``: reads on its reader, writes through ``Database.write``.

Stopping (SIGTERM, SIGINT, or the ``stop`` event) goes in order: stop taking updates,
stop the scheduler after its running jobs, let the sender finish the sends in flight
(for ``STOP_BUDGET`` seconds; the rest are cancelled and recorded as uncertain),
release the lease, close the database — well within the 10 s systemd and Docker allow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from contextlib import AsyncExitStack
from datetime import timedelta
from functools import partial

from aiogram import Bot

from bot import exits
from bot.config import Settings
from bot.delivery.client import DigestClient
from bot.delivery.outbound import SharedLimiter
from bot.delivery.retry import RetryPolicy
from bot.delivery.sender import Sender, SenderOptions, SenderStopped
from bot.logs import event
from bot.publishing.release import publish_text
from bot.run.health import HealthState
from bot.run.jobs import DbJobSource, DbWatch, DeliveryReporter
from bot.run.lease import DaemonLease
from bot.run.options import RunOptions
from bot.run.scheduler import DaemonScheduler
from bot.run.startup import retrying
from bot.run.updates import UpdateServer, counts_reader, track_health
from bot.store.base import DatabaseDamaged, StoreError
from bot.store.database import Database
from bot.store.db import explain
from bot.telegram.app import build_bot, build_dispatcher, interactive_limits

log = logging.getLogger("bot.run")

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = exits.OK, exits.FAILED, exits.CONFIG
# Seconds in-flight sends get to finish at shutdown; then they are cancelled and recorded
# as uncertain. The whole stop stays well within the 10 s systemd and Docker allow.
STOP_BUDGET = 5.0


class Daemon:
    def __init__(self, settings: Settings, options: RunOptions, db: Database) -> None:
        self.settings = settings
        self.options = options
        self.db = db  # the process's one Database: every part reads and writes through it
        self.health = HealthState(mode="webhook" if options.webhook_url else "polling")
        self.ready = asyncio.Event()
        self.exit_code = EXIT_OK
        self.scheduler: DaemonScheduler | None = None  # while running
        self.watch: DbWatch | None = None  # while running

    async def run(self, stop: asyncio.Event, lease: DaemonLease) -> int:
        """Run (holding ``lease``) until ``stop`` is set or a part fails; return the exit
        status. The caller takes the lease first: see :func:`bot.run.lease.held_lease`."""
        async with AsyncExitStack() as stack:
            await self._serve(stack, lease, stop)
        event(log, "run.stopped", exit=self.exit_code)
        return self.exit_code

    async def _check_token(self, bot: Bot, stop: asyncio.Event) -> None:
        """getMe until it answers: a refused token exits 2 (configuration); passing
        failures (5xx, a proxy's 502 page, no connection) are retried with backoff.
        ``bot.me()`` keeps the answer, so polling does not ask again."""
        me = await retrying(
            bot.me,
            what="getMe",
            stop=stop,
            backoff=self.options.startup_backoff,
            api=self.settings.api_base,
        )
        if me is not None:
            event(log, "telegram.connected", bot=me.username or me.id, api=self.settings.api_base)

    async def _serve(self, stack: AsyncExitStack, lease: DaemonLease, stop: asyncio.Event) -> None:
        settings, options = self.settings, self.options
        # One outbound path: replies and the sender's digests share the limiter.
        limiter = SharedLimiter(interactive_limits(settings))
        bot = build_bot(settings, limiter)
        stack.push_async_callback(bot.session.close)  # last: the sender needs it until the end
        track_health(bot, self.health)
        await self._check_token(bot, stop)
        if stop.is_set():
            return

        dp = build_dispatcher(self.db, settings)
        limits = limiter.limits
        sender = Sender(
            self.db,
            DigestClient(bot, paid_broadcast=limits.paid_broadcast),
            owner=f"run-{lease.owner[:12]}",
            options=SenderOptions(
                limits=limits, policy=RetryPolicy.for_minutes(settings.retry_for_minutes)
            ),
            limiter=limiter,
        )
        sender_stop = asyncio.Event()

        reporter = DeliveryReporter(self.db)

        # The sender polls the outbox itself (due rows, not_before included) every second;
        # the scheduler's drain and wake-up jobs report each issue once it has drained.
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
        server = UpdateServer(
            dp,
            bot,
            settings,
            options.webhook_url,
            options.listen,
            options.health_port,
            self.health,
            counts_reader(self.db.reader),
            db=self.db,
        )

        # May refuse (RunRefused, OSError for a port); retries passing API failures.
        await server.start(options.polling_timeout, stop, options.startup_backoff)
        if stop.is_set():
            await server.close()
            return
        sender_task = asyncio.create_task(sender.run(sender_stop), name="sender")
        waiters = [
            asyncio.create_task(stop.wait()),
            asyncio.create_task(lease.lost.wait()),
            asyncio.create_task(watch.failed.wait()),
            sender_task,
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
                api=settings.api_base,
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
            sender_stop.set()
            await self._finish_sender(sender, sender_task)
            await reporter.check()
            await server.close()
            for waiter in waiters[:3]:
                waiter.cancel()

    async def _finish_sender(self, sender: Sender, task: asyncio.Task[object]) -> None:
        done, _ = await asyncio.wait([task], timeout=STOP_BUDGET)
        if not done:
            # Cancelling the sender cancels its calls in flight: each new message among
            # them is recorded as uncertain (it may have reached Telegram) and resent
            # after a delay at the next start; edits are simply made again.
            before = sender.tally.uncertain
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            event(
                log,
                "sender.cut_short",
                logging.WARNING,
                after_s=STOP_BUDGET,
                uncertain=sender.tally.uncertain - before,
                hint="sends cut short may have reached Telegram; they are resent at the next start",
            )
            return
        exc = task.exception()
        if exc is None:
            return
        if isinstance(exc, SenderStopped):
            event(log, "sender.stopped", logging.ERROR, error=str(exc))
        else:
            event(log, "sender.crashed", logging.ERROR, error=f"{type(exc).__name__}: {exc}")
        if self.exit_code == EXIT_OK or self.exit_code == EXIT_FAILED:
            self.exit_code = self._exit_for(exc)

    def _exit_for(self, exc: BaseException) -> int:
        """A refused token is configuration (2); a damaged database 65; any other database
        or file-system fault (disk full, read-only remount, I/O) may pass: 75; a bug, 1."""
        cause = exc.__cause__ if isinstance(exc, SenderStopped) else exc
        if cause is None:
            return EXIT_UNUSABLE
        if isinstance(cause, sqlite3.Error):
            cause = explain(cause, self.db.path) or cause
        if isinstance(cause, DatabaseDamaged):
            return exits.DAMAGED
        if isinstance(cause, sqlite3.Error | StoreError | OSError):
            return exits.TEMPFAIL
        return EXIT_FAILED
