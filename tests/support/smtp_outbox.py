"""E-mail delivery fixtures: ``mail_rig`` — a migrated database, a recording SMTP server
on 127.0.0.1 (``smtp_sink``), settings pointing at it, one :class:`Mailer`, a clock the
test moves, and helpers to add subscribers, publish and run the e-mail sender."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.delivery.email_sender import EmailOptions, EmailSender
from bot.digest.model import Issue
from bot.mail.mailer import Mailer
from bot.publishing.pipeline import Published, publish_issue
from bot.store.database import Database
from bot.store.subscribers import Subscriber, add_confirmed
from tests.support.smtp import Sink

SECRET = "mail-outbox-secret-0123456789"
PUBLIC = "https://digest.example.org"


def mail_settings(sink: Sink, userinfo: str = "", **overrides: Any) -> Settings:
    return Settings(
        smtp_url=SecretStr(sink.url(userinfo)),
        secret_key=SecretStr(SECRET),
        public_url=PUBLIC,
        mail_from="嵌入式AI简报 <digest@example.org>",
        mail_rate=1000,
        _env_file=None,  # type: ignore[call-arg]
        **overrides,
    )


@dataclass
class Clock:
    """Wall-clock time plus an offset the test moves (``advance``): no sleeping."""

    offset: float = 0.0

    def __call__(self) -> float:
        import time

        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class MailRig:
    database: Database
    sink: Sink
    settings: Settings
    mailer: Mailer
    clock: Clock = field(default_factory=Clock)
    revisions: int = 0

    async def subscriber(
        self, address: str, topics: list[str] | None = None, lang: str = "zh"
    ) -> Subscriber:
        return await self.database.write(
            lambda conn: add_confirmed(
                conn,
                address,
                topics=topics or [],
                language=lang,  # type: ignore[arg-type]
                source="admin",
                detail="test",
            )
        )

    async def publish(self, issue: Issue) -> Published:
        self.revisions += 1
        text = f"{issue!r}\nrevision {self.revisions}"
        return await publish_issue(self.database, issue, text, self.settings)

    def sender(self, options: EmailOptions | None = None, owner: str = "test") -> EmailSender:
        return EmailSender(
            self.database, self.mailer, options or EmailOptions(), owner=owner, clock=self.clock
        )

    async def rows(self) -> list[tuple[Any, ...]]:
        """(address, status, attempts, last_error, resent) of every e-mail row."""
        async with self.database.reader.execute(
            "SELECT s.address, o.status, o.attempts, o.last_error, o.resent FROM outbox o"
            " JOIN email_subscribers s ON s.id = o.subscriber_id WHERE o.channel = 'email'"
            " ORDER BY o.id"
        ) as cur:
            return [tuple(r) for r in await cur.fetchall()]


@pytest.fixture
async def mail_rig(database: Database, smtp_sink: Sink) -> AsyncIterator[MailRig]:
    settings = mail_settings(smtp_sink)
    mailer = Mailer.from_settings(settings, pool_size=2)
    try:
        yield MailRig(database, smtp_sink, settings, mailer)
    finally:
        await mailer.close()
