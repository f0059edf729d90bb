"""``/subscribe``: the e-mail sign-up form (GET) and the sign-up itself (POST).

POST takes ``email``, repeated ``topics`` (catalogue slugs), ``lang``, the signed
``form_token`` and an empty honeypot field ``website``. Whatever the address's state —
unknown, unconfirmed, confirmed, suppressed, or within the hour of its last confirmation
mail — the answer is the same "check your inbox" page (200), so the form tells nobody who
is subscribed; only a malformed address gets the form again (400). The sign-up and its
confirmation mail run after the answer, so neither its time nor an SMTP failure tells
anything either (a failure gives the hourly allowance back and is logged). Each client gets
:data:`SIGNUPS_PER_WINDOW` POSTs per :data:`WINDOW` seconds (429 after that), and each
address at most one confirmation mail an hour (bot.publishing.optin).
"""

from __future__ import annotations

import logging
import re

from aiohttp import web

from bot.i18n import Lang
from bot.logs import event
from bot.mail.mailer import Mailer
from bot.publishing.optin import OptInError, address_of, subscribe
from bot.store.database import Database
from bot.topics.catalog import load_catalog
from bot.topics.filter import topic_name
from bot.web.guard import FormTooLarge, client_key, field, read_form
from bot.web.keys import DB, FORMS, SITE
from bot.web.pages import Page

SIGNUPS_PER_WINDOW = 5
WINDOW = 600.0
MAX_ADDRESS = 254  # RFC 5321's limit for a path; longer is not an address
HONEYPOT = "website"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
log = logging.getLogger(__name__)


def topic_choices(lang: Lang, ticked: set[str]) -> list[dict[str, object]]:
    """Every catalogue topic as a checkbox: slug, label in ``lang``, ticked or not."""
    return [
        {"slug": topic.slug, "label": topic_name(topic, lang), "checked": topic.slug in ticked}
        for topic in load_catalog().topics
    ]


def telegram_link(request: web.Request, slug: str | None) -> str | None:
    """The bot's deep link: ``?start=topic_<slug>`` follows the topic in the chat."""
    base = request.app[SITE].telegram
    if base is None:
        return None
    return f"{base}?start=topic_{slug}" if slug else f"{base}?start=web"


def _known(slugs: list[str]) -> list[str]:
    catalogue = {topic.slug for topic in load_catalog().topics}
    wanted: list[str] = []
    for slug in slugs[: len(catalogue)]:
        if slug in catalogue and slug not in wanted:
            wanted.append(slug)
    return wanted


def _form(
    page: Page,
    *,
    status: int = 200,
    error: str | None = None,
    email: str = "",
    ticked: list[str] | None = None,
    lang: Lang | None = None,
) -> web.Response:
    request = page.request
    forms = request.app[FORMS]
    if forms.tokens is None or forms.mailer is None:
        return page.respond("problem.html.j2", status=503, problem="signup_off")
    preselect = ticked if ticked is not None else _known([request.query.get("topic", "")[:64]])
    return page.respond(
        "signup.html.j2",
        status=status,
        error=error,
        email=_CONTROL.sub("", email)[:MAX_ADDRESS],
        topics=topic_choices(page.lang, set(preselect)),
        mail_lang=lang or page.lang,
        form_token=forms.tokens.make("signup"),
        honeypot=HONEYPOT,
        deep_link=telegram_link(request, preselect[0] if len(preselect) == 1 else None),
    )


async def show(request: web.Request) -> web.Response:
    return _form(Page(request))


async def submit(request: web.Request) -> web.Response:
    page = Page(request)
    forms = request.app[FORMS]
    if forms.tokens is None or forms.mailer is None:
        return page.respond("problem.html.j2", status=503, problem="signup_off")
    if not forms.signups.hit(client_key(request, trust_proxy=forms.trust_proxy)):
        return page.respond("problem.html.j2", status=429, problem="rate_limited")
    try:
        fields = await read_form(request)
    except FormTooLarge:
        return page.respond("problem.html.j2", status=413, problem="too_large")
    raw = field(fields, "email")
    slugs = _known(fields.get("topics", []))
    lang: Lang = "en" if field(fields, "lang") == "en" else "zh"
    if field(fields, "lang") not in ("zh", "en"):
        lang = page.lang
    if not forms.tokens.check(field(fields, "form_token"), "signup"):
        return _form(page, status=400, error="form_expired", email=raw, ticked=slugs, lang=lang)
    try:
        if len(raw) > MAX_ADDRESS or _CONTROL.search(raw):
            raise OptInError("not an address")
        address = address_of(raw)
    except OptInError:
        return _form(page, status=400, error="bad_address", email=raw, ticked=slugs, lang=lang)
    if not field(fields, HONEYPOT):
        catalogue = {topic.slug: topic for topic in load_catalog().topics}
        names = [topic_name(catalogue[slug], lang) for slug in slugs]
        job = _sign_up(request.app[DB], forms.mailer, address, names, lang)
        if not forms.send(job):
            return page.respond("problem.html.j2", status=503, problem="mail_failed")
    return page.respond("signup_sent.html.j2", address=address)


async def _sign_up(
    db: Database, mailer: Mailer, address: str, names: list[str], lang: Lang
) -> None:
    """The sign-up and its confirmation mail, after the answer (see Forms.send)."""
    try:
        outcome = await subscribe(db, mailer, address, names, lang, "web")
    except OptInError as exc:  # refused or not taken: the hourly allowance was given back
        event(log, "web.signup_failed", logging.WARNING, reason=str(exc))
    except Exception:
        log.exception("web.signup crashed; nothing was sent and the address may try again")
    else:
        event(log, "web.signup", status=outcome.status)
