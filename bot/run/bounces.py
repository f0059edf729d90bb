"""`bot run` receives bounces: the SMTP receiver and the IMAP poller, recording each
report in the store (bot.store.bounces applies the policy: hard → suppressed, soft →
counted, complaint → unsubscribed from everything).

The receiver runs on the daemon's loop (``BOT_BOUNCE_LISTEN``); the poller is one more
task beside the senders (``BOT_BOUNCE_IMAP_URL``). Both record through the process's one
``Database`` before they acknowledge a report: the receiver answers 250 only after the
transaction committed (451 otherwise, and the MTA retries), the poller deletes the
message only after it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from bot.config import Settings
from bot.logs import event
from bot.mail.bounces import Bounce
from bot.mail.imap import ImapPoller, ImapUrl
from bot.mail.message import Sender
from bot.mail.receiver import BounceHandler, start_receiver
from bot.mail.tokens import Tokens
from bot.store.bounces import BounceReport, Recorded, record_bounce
from bot.store.database import Database

log = logging.getLogger("bot.run.bounces")
IMAP_POLL_SECONDS = 60.0


class BounceRecorder:
    """The callback of the receiver and the poller: one transaction per report."""

    def __init__(self, db: Database, via: Literal["smtp", "imap", "test"]) -> None:
        self.db, self.via = db, via

    async def __call__(self, bounce: Bounce) -> None:
        report = BounceReport(
            kind=bounce.kind,
            subscriber_id=bounce.subscriber_id,
            key=bounce.key,
            status=bounce.status,
            recipient=bounce.recipient,
            diagnostic=bounce.diagnostic,
        )
        done: Recorded = await self.db.write(lambda conn: record_bounce(conn, report, via=self.via))
        event(
            log,
            "bounce.recorded",
            via=self.via,
            kind=bounce.kind,
            status=bounce.status or "-",
            subscriber=bounce.subscriber_id if bounce.subscriber_id is not None else "unknown",
            effect=done.effect,
            duplicate=done.duplicate,
        )


class BounceIntake:
    """Starts what the settings ask for; :meth:`close` stops the receiver."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings
        self.server: asyncio.Server | None = None
        self.poller: ImapPoller | None = None

    @property
    def wanted(self) -> bool:
        return bool(self.settings.bounce_listen or self.settings.bounce_imap_url)

    def _tokens(self) -> Tokens:
        assert self.settings.secret_key is not None  # `bot run` refuses to start without it
        return Tokens(self.settings.secret_key)

    async def start(self, imap_every: float = IMAP_POLL_SECONDS) -> None:
        """Listen on ``BOT_BOUNCE_LISTEN`` (OSError: the port is taken) and prepare the
        IMAP poller (run it with :meth:`run_poller`)."""
        settings = self.settings
        if settings.bounce_listen:
            domain = Sender.parse(settings.mail_from).domain
            handler = BounceHandler(self._tokens(), domain, BounceRecorder(self.db, "smtp"))
            try:
                self.server = await start_receiver(handler, settings.bounce_listen)
            except OSError as exc:
                raise OSError(
                    f"cannot listen for bounces on {settings.bounce_listen}: {exc.strerror or exc}"
                ) from None
            port = self.server.sockets[0].getsockname()[1]
            event(log, "bounces.listening", listen=settings.bounce_listen, port=port, domain=domain)
        if settings.bounce_imap_url is not None:
            url = ImapUrl.parse(settings.bounce_imap_url.get_secret_value())
            recorder = BounceRecorder(self.db, "imap")
            self.poller = ImapPoller(url, self._tokens(), recorder, every=imap_every)
            event(log, "bounces.polling", mailbox=url.shown, every_s=imap_every)

    async def run_poller(self, stop: asyncio.Event) -> None:
        if self.poller is not None:
            await self.poller.run(stop)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
