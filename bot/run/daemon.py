"""`bot run`'s lifecycle: lease → bot, sender, scheduler, updates → orderly stop.

Every part (handlers, sender, scheduler jobs, /healthz) shares the process's one
``Database``: reads on its reader, writes through ``Database.write``.

Stopping (SIGTERM, SIGINT, or the ``stop`` event) goes in order: stop taking updates,
stop the scheduler after its running jobs, let the sender finish the sends in flight,
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
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

from bot import exits
from bot.config import Settings
from bot.delivery.client import DigestClient
from bot.delivery.ratelimit import Limits
from bot.delivery.retry import RetryPolicy
from bot.delivery.sender import Sender, SenderOptions, SenderStopped
from bot.logs import event
from bot.publishing.release import publish_text
from bot.run.health import HealthState
from bot.run.jobs import DbJobSource, DbWatch, DeliveryReporter
from bot.run.lease import DaemonLease
from bot.run.options import RunFailed, RunOptions, RunRefused
from bot.run.scheduler import DaemonScheduler
from bot.run.updates import UpdateServer, counts_reader, track_health
from bot.store.base import DatabaseDamaged, StoreError
from bot.store.database import Database
from bot.store.db import explain
from bot.telegram.app import build_bot, build_dispatcher

log = logging.getLogger("bot.run")

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = exits.OK, exits.FAILED, exits.CONFIG
CONNECT_RETRIES = (1.0, 2.0, 4.0, 8.0)  # then give up: systemd/Docker restart the service
STOP_BUDGET = 8.0  # seconds for in-flight sends at shutdown (the whole stop stays < 10 s)


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
        """getMe: the token is refused (exit 2), or Telegram stays unreachable (exit 1)."""
        for delay in CONNECT_RETRIES:
            try:
                me = await bot.get_me()
            except TelegramUnauthorizedError:
                raise RunRefused(
                    "Telegram refused BOT_TOKEN (401 Unauthorized); check it with @BotFather"
                ) from None
            except TelegramNetworkError as exc:
                event(
                    log,
                    "telegram.unreachable",
                    logging.WARNING,
                    api=self.settings.api_base,
                    error=str(exc),
                    retry_in_s=delay,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                if stop.is_set():
                    return
                continue
            event(log, "telegram.connected", bot=me.username or me.id, api=self.settings.api_base)
            return
        raise RunFailed(
            f"cannot reach the Bot API at {self.settings.api_base}; check the"
            " network (or BOT_API_BASE) — the service manager will retry"
        )

    async def _serve(self, stack: AsyncExitStack, lease: DaemonLease, stop: asyncio.Event) -> None:
        settings, options = self.settings, self.options
        bot = build_bot(settings)
        stack.push_async_callback(bot.session.close)  # last: the sender needs it until the end
        track_health(bot, self.health)
        await self._check_token(bot, stop)
        if stop.is_set():
            return

        dp = build_dispatcher(self.db, settings)
        limits = Limits(global_per_s=settings.rate)
        sender = Sender(
            self.db,
            DigestClient(bot, paid_broadcast=limits.paid_broadcast),
            owner=f"run-{lease.owner[:12]}",
            options=SenderOptions(
                limits=limits, policy=RetryPolicy.for_minutes(settings.retry_for_minutes)
            ),
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

        await server.start(options.polling_timeout)  # may refuse (RunRefused, RunFailed)
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
            await self._finish_sender(sender_task)
            await reporter.check()
            await server.close()
            for waiter in waiters[:3]:
                waiter.cancel()

    async def _finish_sender(self, task: asyncio.Task[object]) -> None:
        done, _ = await asyncio.wait([task], timeout=STOP_BUDGET)
        if not done:
            task.cancel()
            event(
                log,
                "sender.cut_short",
                logging.WARNING,
                hint="sends still in flight are retried at the next start",
            )
            with contextlib.suppress(asyncio.CancelledError):
                await task
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
