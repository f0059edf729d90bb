"""What the site's handlers receive through the application (``web.AppKey``s)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.i18n import Lang
from bot.mail.mailer import Mailer
from bot.mail.tokens import Tokens
from bot.store.database import Database
from bot.web.cache import PageCache
from bot.web.guard import FormTokens, RateLimiter
from bot.web.version import ArchiveVersion


@dataclass(frozen=True, slots=True)
class Site:
    """The settings the pages need."""

    public_url: str | None  # BOT_PUBLIC_URL without a trailing slash; None: from the request
    telegram: str | None  # https://t.me/<BOT_USERNAME>
    default_lang: Lang

    @classmethod
    def of(cls, settings: Settings) -> Site:
        username = settings.username
        return cls(
            public_url=settings.public_url.rstrip("/") if settings.public_url else None,
            telegram=f"https://t.me/{username}" if username else None,
            default_lang=settings.default_lang,
        )

    def base(self, request: web.Request) -> str:
        """The base of every absolute link: BOT_PUBLIC_URL, else where the request came."""
        return self.public_url or str(request.url.origin())


@dataclass(frozen=True, slots=True)
class StaticFile:
    path: str  # with the content hash in it: cached for a year
    body: bytes
    digest: str


DB = web.AppKey("db", Database)
SITE = web.AppKey("site", Site)
STATIC = web.AppKey("static", StaticFile)
PAGES = web.AppKey("pages", PageCache)
VERSION = web.AppKey("version", ArchiveVersion)
# Reads the links of our mails; absent when BOT_SECRET_KEY is not set (every link is then
# refused as not valid).
TOKENS = web.AppKey("tokens", Tokens)


@dataclass(slots=True)
class Forms:
    """What the sign-up and preferences forms need: form tokens and the mailer (None when
    BOT_SECRET_KEY, or e-mail, is not configured: the forms then say so), the per-client
    rate limits, and whether X-Forwarded-For names the client (BOT_TRUST_PROXY)."""

    tokens: FormTokens | None
    mailer: Mailer | None
    signups: RateLimiter
    saves: RateLimiter
    trust_proxy: bool
    default_tz: str
    owns_mailer: bool = True  # False: `bot run`'s mailer, shared with the sender
    # Confirmation mails being sent: a sign-up answers before its mail goes out, so the
    # answer takes as long whatever the address's state. Awaited when the site stops.
    sending: set[asyncio.Task[None]] = field(default_factory=set)
    max_sending: int = 100

    def send(self, job: Coroutine[Any, Any, None]) -> bool:
        """Run ``job`` beside the request; False (job closed) when too many are running."""
        if len(self.sending) >= self.max_sending:
            job.close()
            return False
        task = asyncio.create_task(job)
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)
        return True


FORMS = web.AppKey("forms", Forms)
