"""`bot run`: the service — updates, scheduler and sender in one process."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.common import UnusableInput, run_async, store_failure

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.run.options import RunOptions
    from bot.store.database import Database

log = logging.getLogger("bot.run")


@click.command(name="run")
@click.option(
    "--webhook",
    "webhook_url",
    metavar="URL",
    help="Take updates by webhook at this https URL instead of long polling "
    "(needs BOT_WEBHOOK_SECRET). Default: BOT_WEBHOOK_URL.",
)
@click.option(
    "--listen",
    metavar="HOST:PORT",
    help="Where the webhook server (and /healthz) listens. Default: BOT_LISTEN (127.0.0.1:8080).",
)
@click.option(
    "--health-port",
    type=click.IntRange(1, 65535),
    metavar="PORT",
    help="In polling mode, serve GET /healthz on this port. Default: BOT_HEALTH_PORT (off).",
)
@click.option(
    "--standby",
    is_flag=True,
    help="If another bot run holds this database, wait and take over when it "
    "stops, instead of refusing to start.",
)
@click.option(
    "--log-format",
    type=click.Choice(["kv", "json"]),
    help="key=value or JSON log lines. Default: BOT_LOG_FORMAT (kv).",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The SQLite database. Default: BOT_DB (data/bot.sqlite3).",
)
@click.option(
    "--init",
    is_flag=True,
    help="Create the database if there is none (otherwise a missing database is refused,"
    " so that a deleted one is never silently replaced by an empty one).",
)
def run(
    webhook_url: str | None,
    listen: str | None,
    health_port: int | None,
    standby: bool,
    log_format: str | None,
    db: Path | None,
    init: bool,
) -> None:
    """Run the bot until SIGTERM: take updates (polling or webhook), fire scheduled
    publishes, deliver the outbox at each chat's delivery time.

    Without BOT_TOKEN but with BOT_SMTP_URL it runs e-mail only (no Telegram, the site
    and /healthz on BOT_LISTEN). BOT_BOUNCE_LISTEN and BOT_BOUNCE_IMAP_URL make it
    receive bounces and complaints, which suppress addresses (`bot email bounces`).

    One bot run per database: a second one refuses to start (exit 2) unless --standby.
    SIGTERM stops it cleanly within 10 seconds (in-flight sends finish).

    The database must exist (`bot db init`, or --init) and pass PRAGMA quick_check
    (exit 65 otherwise: restore a backup). Exit 75 when the environment fails it (disk
    full, a read-only file system, the database deleted while running): the service
    manager restarts it. Exit 2: configuration, fix it first.
    """
    settings, options = _configure(webhook_url, listen, health_port, standby, log_format, db, init)
    raise SystemExit(run_async(_run(settings, options)))


def _configure(
    webhook_url: str | None,
    listen: str | None,
    health_port: int | None,
    standby: bool,
    log_format: str | None,
    db: Path | None,
    init: bool,
) -> tuple[Settings, RunOptions]:
    from bot.config import SettingsError, load_settings
    from bot.logs import setup_logging
    from bot.run.options import RunOptions

    given = {
        "webhook_url": webhook_url,
        "listen": listen,
        "health_port": health_port,
        "log_format": log_format,
        "db": db,
    }
    try:
        settings = load_settings(**{k: v for k, v in given.items() if v is not None})
    except SettingsError as exc:
        raise UnusableInput(str(exc)) from None
    _check_channels(settings)
    secrets = [settings.token.get_secret_value()] if settings.token is not None else []
    secrets.extend(settings.mail_secrets())
    setup_logging(settings.log_level, settings.log_format, secrets=secrets)
    options = RunOptions(
        webhook_url=settings.webhook_url,
        listen=settings.listen,
        health_port=settings.health_port,
        standby=standby,
        init=init,
    )
    return settings, options


def _check_channels(settings: Settings) -> None:
    """At least one channel, and what each one that is on needs (exit 2 otherwise)."""
    from bot.mail.imap import ImapError, ImapUrl
    from bot.mail.message import local_http

    if settings.token is None and not settings.email_enabled:
        raise UnusableInput(
            "neither BOT_TOKEN nor BOT_SMTP_URL is set: set BOT_TOKEN (from @BotFather) for"
            " Telegram, BOT_SMTP_URL for e-mail, or both (see deploy/.env.example)"
        )
    mail_on = settings.email_enabled or settings.bounce_listen or settings.bounce_imap_url
    if mail_on and settings.secret_key is None:
        raise UnusableInput(
            "e-mail is on (BOT_SMTP_URL or a bounce setting is set) but BOT_SECRET_KEY is not:"
            " set it to a long random string (openssl rand -hex 32) to sign the links in mails"
        )
    if settings.email_enabled and settings.public_url is None:
        raise UnusableInput(
            "e-mail is on (BOT_SMTP_URL is set) but BOT_PUBLIC_URL is not: set it to the"
            " https address of this site, the base of every link in mails"
        )
    url = settings.public_url or ""
    if settings.email_enabled and not url.startswith("https://") and not local_http(url):
        raise UnusableInput(
            f"BOT_PUBLIC_URL {url} is not https: mail clients' one-click unsubscribe"
            " (RFC 8058) needs an https address; plain http is only for this machine"
            " (http://127.0.0.1:PORT)"
        )
    if settings.bounce_imap_url is not None:
        try:
            ImapUrl.parse(settings.bounce_imap_url.get_secret_value())
        except ImapError as exc:
            raise UnusableInput(str(exc)) from None
    if settings.token is not None and settings.webhook_url and settings.webhook_secret is None:
        raise UnusableInput(
            "webhook mode needs BOT_WEBHOOK_SECRET, so that only Telegram can post updates"
        )


async def _run(settings: Settings, options: RunOptions) -> int:
    from bot.logs import event
    from bot.run.lease import LeaseHeld
    from bot.run.options import RunRefused
    from bot.store.base import DatabaseDamaged, StoreError
    from bot.store.database import open_database
    from bot.store.db import integrity_problems

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        event(log, "signal", signal=sig.name, action="stopping")
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, on_signal, sig)
    try:
        # A missing database is refused (unless --init), a damaged one too (quick_check).
        async with open_database(settings.db, create=options.init) as db:
            problems = await integrity_problems(db.reader)
            if problems:
                raise DatabaseDamaged(
                    f"the database {settings.db} is damaged (quick_check: {problems[0]});"
                    " restore a backup — `bot db check --full` lists what is wrong"
                )
            return await _serve(settings, options, db, stop)
    except (LeaseHeld, RunRefused) as exc:
        raise UnusableInput(str(exc)) from None
    except StoreError as exc:
        raise store_failure(exc, otherwise=UnusableInput) from None
    except OSError as exc:  # the webhook/health port is taken, or similar
        raise UnusableInput(str(exc)) from None


async def _serve(settings: Settings, options: RunOptions, db: Database, stop: asyncio.Event) -> int:
    from bot.run.lease import held_lease

    # The lease first: a second instance is refused before aiogram's slow import.
    async with held_lease(db, ttl=options.lease_ttl, standby=options.standby, stop=stop) as lease:
        if lease is None:
            return 0  # stopped while standing by
        # In a thread, so the lease heartbeat goes on (the daemon then imports aiogram,
        # seconds, in a thread too, when Telegram is on).
        daemon = await asyncio.to_thread(importlib.import_module, "bot.run.daemon")
        if stop.is_set():
            return 0  # SIGTERM while starting up
        return int(await daemon.Daemon(settings, options, db).run(stop, lease))
