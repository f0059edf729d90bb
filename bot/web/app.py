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
from bot.web import feeds, pages, prefs, signup, subscription
from bot.web.cache import PageCache
from bot.web.guard import FormTokens, RateLimiter
from bot.web.keys import DB, FORMS, PAGES, SITE, STATIC, TOKENS, Forms, Site, StaticFile

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


@dataclass(frozen=True, slots=True)
class _Stylesheet:
    body: bytes
    digest: str


def _stylesheet() -> _Stylesheet:
    body = resources.files("bot.web").joinpath("static/site.css").read_bytes()
    return _Stylesheet(body, hashlib.sha256(body).hexdigest()[:12])


def build_app(db: Database, settings: Settings) -> web.Application:
    """The public site over ``db``: read-only but for the links of our mails (/confirm and
    /unsubscribe). `bot run` adds /healthz and the webhook to this same application."""
    app = web.Application(middlewares=[_error_pages], handler_args={"max_line_size": MAX_LINE})
    css = _stylesheet()
    app[DB] = db
    app[PAGES] = PageCache()
    app[SITE] = Site.of(settings)
    app[STATIC] = StaticFile(f"/static/site.{css.digest}.css", css.body, css.digest)
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/", pages.home)
    app.router.add_get("/issues", pages.issues)
    app.router.add_get("/issues/{date}", pages.issue)
    app.router.add_get("/search", pages.search)
    app.router.add_get("/feed.atom", feeds.atom)
    app.router.add_get("/feed.json", feeds.json_feed)
    app.router.add_get(r"/static/site.{digest:[0-9a-f]+}.css", _css)
    if settings.secret_key is not None:
        app[TOKENS] = Tokens(settings.secret_key)
    for purpose in ("confirm", "unsubscribe"):
        app.router.add_get(f"/{purpose}/{{token}}", subscription.show)
        app.router.add_post(f"/{purpose}/{{token}}", subscription.act)
    _add_forms(app, settings)
    return app


def _add_forms(app: web.Application, settings: Settings) -> None:
    """/subscribe and /prefs/<token>: the forms, their tokens, limits and the mailer."""
    try:
        mailer: Mailer | None = Mailer.from_settings(settings) if settings.email_enabled else None
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
    mailer = forms.mailer
    if mailer is not None:
        await mailer.close()


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
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
