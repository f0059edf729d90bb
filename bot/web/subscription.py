"""The pages behind the links in our mails: ``/confirm/<token>`` and ``/unsubscribe/<token>``.

GET shows a page with one button and changes nothing (mail scanners and link previews
follow links: they must not confirm or unsubscribe anyone); POST does it. A POST to
``/unsubscribe/<token>`` with the body ``List-Unsubscribe=One-Click`` is the RFC 8058
one-click endpoint mail clients call from the List-Unsubscribe header: no cookie, no
CSRF token (the signed token is the proof), answered 200. Forged, expired and stale
links get a 404 page saying which, in the reader's language.
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web

from bot.mail.mailer import link_path
from bot.publishing.optin import LinkError, check_link, confirm, unsubscribe
from bot.web.keys import DB, TOKENS
from bot.web.pages import Page

Purpose = Literal["confirm", "unsubscribe"]
ONE_CLICK = "One-Click"


def subscriber_page(request: web.Request, lang: str | None = None) -> Page:
    """A page in the subscriber's language, unless the reader picked one with ?lang=."""
    page = Page(request)
    if lang in ("zh", "en") and page.chosen is None:  # the subscriber's language
        page.lang = "en" if lang == "en" else "zh"
        page.other = "zh" if page.lang == "en" else "en"
    return page


def invalid(request: web.Request, problem: str) -> web.Response:
    return subscriber_page(request).respond("link_invalid.html.j2", status=404, problem=problem)


async def show(request: web.Request) -> web.Response:
    """GET: the page with one button (nothing changes)."""
    purpose: Purpose = "confirm" if request.path.startswith("/confirm/") else "unsubscribe"
    tokens = request.app.get(TOKENS)
    if tokens is None:
        return invalid(request, "forged")
    try:
        subscriber = await check_link(request.app[DB], tokens, purpose, request.match_info["token"])
    except LinkError as exc:
        return invalid(request, exc.kind)
    page = subscriber_page(request, subscriber.language)
    return page.respond(
        "subscription.html.j2",
        purpose=purpose,
        done=False,
        prefs=None,
        address=subscriber.address,
        action=request.path,
    )


async def act(request: web.Request) -> web.Response:
    """POST: confirm or unsubscribe (the RFC 8058 one-click endpoint for unsubscribe)."""
    purpose: Purpose = "confirm" if request.path.startswith("/confirm/") else "unsubscribe"
    tokens = request.app.get(TOKENS)
    if tokens is None:
        return invalid(request, "forged")
    form = await request.post()
    one_click = purpose == "unsubscribe" and form.get("List-Unsubscribe") == ONE_CLICK
    token = request.match_info["token"]
    db = request.app[DB]
    try:
        if purpose == "confirm":
            subscriber = await confirm(db, tokens, token)
        else:
            reason = "one-click (List-Unsubscribe-Post)" if one_click else "unsubscribe page"
            subscriber = await unsubscribe(db, tokens, token, reason)
    except LinkError as exc:
        return invalid(request, exc.kind)
    page = subscriber_page(request, subscriber.language)
    prefs = link_path(tokens, "preferences", subscriber.id) if purpose == "confirm" else None
    return page.respond(
        "subscription.html.j2",
        purpose=purpose,
        done=True,
        prefs=prefs,
        address=subscriber.address,
        action=request.path,
    )
