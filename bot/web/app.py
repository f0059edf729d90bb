"""The site's ``web.Application``: routes, dependencies (app keys), headers, error pages."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources

from aiohttp import web

from bot.config import Settings
from bot.mail.mailer import Mailer, MailerError
from bot.mail.tokens import Tokens
from bot.store.database import Database
from bot.web import feeds, pages, prefs, signup, subscription, topic_feeds, topics
from bot.web.cache import PageCache
from bot.web.guard import FormTokens, RateLimiter
from bot.web.keys import DB, FORMS, PAGES, SITE, STATIC, TOKENS, VERSION, Forms, Site, StaticFile
from bot.web.version import ArchiveVersion

# A search query arrives in the request line: 10,000 Chinese characters are 90,000
# bytes percent-encoded, beyond aiohttp's 8,190-byte default (which answers 400).
MAX_LINE = 128 * 1024
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
    " base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
ONE_YEAR = 365 * 24 * 3600
# Pages whose URL holds a subscriber's signed token (a capability) and which show the
# address: kept by no cache, and their URL sent to no other site.
CAPABILITY_PATHS = ("/prefs/", "/confirm/", "/unsubscribe/")
PRIVATE_HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True, slots=True)
class _Stylesheet:
    body: bytes
    digest: str


def _stylesheet() -> _Stylesheet:
    body = resources.files("bot.web").joinpath("static/site.css").read_bytes()
    return _Stylesheet(body, hashlib.sha256(body).hexdigest()[:12])


def build_app(db: Database, settings: Settings, mailer: Mailer | None = None) -> web.Application:
    """The public site over ``db``: read-only but for the links of our mails (/confirm and
    /unsubscribe). `bot run` adds /healthz and the webhook to this same application and
    passes its ``mailer``, so confirmation mails and digests share one SMTP pool and one
    ``BOT_MAIL_RATE`` (without one the site makes its own when e-mail is on)."""
    app = web.Application(middlewares=[_error_pages], handler_args={"max_line_size": MAX_LINE})
    css = _stylesheet()
    app[DB] = db
    app[PAGES] = PageCache()
    app[VERSION] = ArchiveVersion(db.reader)
    app[SITE] = Site.of(settings)
    app[STATIC] = StaticFile(f"/static/site.{css.digest}.css", css.body, css.digest)
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/", pages.home)
    app.router.add_get("/issues", pages.issues)
    app.router.add_get("/issues/{date}", pages.issue)
    app.router.add_get("/search", pages.search)
    app.router.add_get("/feed.atom", feeds.atom)
    app.router.add_get("/feed.json", feeds.json_feed)
    app.router.add_get("/topics", topics.catalogue)
    app.router.add_get("/topics/{slug}.atom", topic_feeds.atom)
    app.router.add_get("/topics/{slug}.json", topic_feeds.json_feed)
    app.router.add_get("/topics/{slug}", topics.topic)
    app.router.add_get(r"/static/site.{digest:[0-9a-f]+}.css", _css)
    if settings.secret_key is not None:
        app[TOKENS] = Tokens(settings.secret_key)
    for purpose in ("confirm", "unsubscribe"):
        app.router.add_get(f"/{purpose}/{{token}}", subscription.show)
        app.router.add_post(f"/{purpose}/{{token}}", subscription.act)
    _add_forms(app, settings, mailer)
    return app


def _add_forms(app: web.Application, settings: Settings, shared: Mailer | None) -> None:
    """/subscribe and /prefs/<token>: the forms, their tokens, limits and the mailer."""
    mailer = shared
    if mailer is None and settings.email_enabled:
        try:
            mailer = Mailer.from_settings(settings)
        except MailerError:
            mailer = None  # `bot run` refuses an incomplete e-mail setup before serving
    secret = settings.secret_key
    app[FORMS] = Forms(
        tokens=FormTokens(secret) if secret is not None else None,
        mailer=mailer,
        signups=RateLimiter(signup.SIGNUPS_PER_WINDOW, signup.WINDOW),
        saves=RateLimiter(prefs.SAVES_PER_WINDOW, prefs.WINDOW),
        trust_proxy=settings.trust_proxy,
        default_tz=settings.tz,
        owns_mailer=shared is None,
    )
    app.router.add_get("/subscribe", signup.show)
    app.router.add_post("/subscribe", signup.submit)
    app.router.add_get("/prefs/{token}", prefs.show)
    app.router.add_post("/prefs/{token}", prefs.save)
    app.on_cleanup.append(_close_mailer)


async def _close_mailer(app: web.Application) -> None:
    forms = app[FORMS]
    if forms.sending:  # confirmation mails on their way: let them finish
        await asyncio.wait(set(forms.sending))
    if forms.mailer is not None and forms.owns_mailer:
        await forms.mailer.close()


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith(CAPABILITY_PATHS):
        response.headers.update(PRIVATE_HEADERS)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


async def _css(request: web.Request) -> web.StreamResponse:
    static = request.app[STATIC]
    if request.match_info["digest"] != static.digest:
        # An old page's stylesheet: send the current one, but do not let it be kept.
        raise web.HTTPFound(static.path)
    etag = f'"{static.digest}"'
    headers = {"Cache-Control": f"public, max-age={ONE_YEAR}, immutable", "ETag": etag}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=static.body, content_type="text/css", charset="utf-8", headers=headers)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A page a reader understands for unknown addresses (not a bare "404: Not Found")."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return pages.not_found(request)
