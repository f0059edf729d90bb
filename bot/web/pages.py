"""The HTML pages: each handler reads the store and hands plain values to a template."""

from __future__ import annotations

import re
from datetime import date as Date
from typing import Any
from urllib.parse import urlencode

import aiosqlite
from aiohttp import web

from bot.i18n import Lang
from bot.render.env import render
from bot.render.search import notice_text
from bot.render.text import clip
from bot.search.engine import RANK_CAP
from bot.search.engine import search as run_search
from bot.search.query import MAX_QUERY_CHARS
from bot.store.issues import archive_version, get_issue, list_issues, list_revisions
from bot.web import views
from bot.web.keys import DB, FORMS, PAGES, SITE, STATIC
from bot.web.lang import accepted_lang, chosen_lang

HEADLINES = 8  # entries of the latest issue on the home page
PER_PAGE = 10  # search results per page
MAX_PAGE = RANK_CAP // PER_PAGE
# Enough of a hostile query to fill the box and parse; the engine bounds it further.
MAX_Q = MAX_QUERY_CHARS * 2
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Page:
    """One request's language and link helpers, shared by every template."""

    def __init__(self, request: web.Request) -> None:
        self.request = request
        site = request.app[SITE]
        self.chosen = chosen_lang(request.query.get("lang"))
        self.lang: Lang = (
            self.chosen
            or accepted_lang(request.headers.get("Accept-Language"))
            or site.default_lang
        )
        self.other: Lang = "en" if self.lang == "zh" else "zh"
        self.site = site

    def href(self, path: str, /, **params: object) -> str:
        """A link to our own ``path``, keeping a language picked with ``?lang=``."""
        query = {k: str(v) for k, v in params.items() if v is not None}
        if self.chosen is not None:
            query["lang"] = self.chosen
        return path + ("?" + urlencode(query) if query else "")

    def switch(self) -> str:
        """This page in the other language (a hostile query cut as search cuts it)."""
        query = {k: v[:MAX_QUERY_CHARS] for k, v in self.request.query.items()}
        query["lang"] = self.other
        return self.request.path + "?" + urlencode(query)

    def respond(self, template: str, status: int = 200, **context: Any) -> web.Response:
        return self.html(self.render(template, **context), status)

    def render(self, template: str, **context: Any) -> str:
        return (
            render(
                f"web/{template}",
                self.lang,
                lang=self.lang,
                other=self.other,
                href=self.href,
                switch=self.switch(),
                chosen_lang=self.chosen,
                css=self.request.app[STATIC].path,
                telegram=self.site.telegram,
                **context,
            )
            + "\n"
        )

    def html(self, html: str, status: int = 200) -> web.Response:
        return web.Response(
            text=html,
            status=status,
            content_type="text/html",
            charset="utf-8",
            headers={"Vary": "Accept-Language", "Cache-Control": "no-cache"},
        )


def signup_token(request: web.Request) -> str | None:
    """A form token for the home page's sign-up box; None when sign-up is off."""
    forms = request.app[FORMS]
    if forms.tokens is None or forms.mailer is None:
        return None
    return forms.tokens.make("signup")


async def home(request: web.Request) -> web.Response:
    page = Page(request)
    stored = await get_issue(request.app[DB].reader)
    box = signup_token(request)
    if stored is None:
        return page.respond("home.html.j2", issue=None, headlines=(), total=0, signup_token=box)
    entries = views.entry_views(stored)
    return page.respond(
        "home.html.j2",
        issue=stored.issue,
        headlines=entries[:HEADLINES],
        total=len(entries),
        signup_token=box,
    )


async def issues(request: web.Request) -> web.Response:
    page = Page(request)
    rows = await list_issues(request.app[DB].reader)
    listed = [
        {
            "date": row.date,
            "label": row.description,
            "intro": clip(" ".join(row.intro.split()), 160) if row.title else "",
            "entries": row.entries,
        }
        for row in rows
    ]
    return page.respond("issues.html.j2", issues=listed)


def issue_date(text: str) -> str | None:
    """``YYYY-MM-DD`` if it is a real date, else None."""
    if not _DATE.fullmatch(text):
        return None
    try:
        return Date.fromisoformat(text).isoformat()
    except ValueError:
        return None


async def issue(request: web.Request) -> web.Response:
    page = Page(request)
    day = issue_date(request.match_info["date"])
    if day is None:
        return not_found(request)
    conn = request.app[DB].reader
    cache = request.app[PAGES]
    key = ("issue", await archive_version(conn), day, page.lang, page.chosen, page.switch())
    html = cache.get(key)
    if html is None:
        stored = await get_issue(conn, day)
        if stored is None:
            return not_found(request, date=day)
        revision = views.RevisionView.of(await list_revisions(conn, day))
        html = page.render(
            "issue.html.j2",
            issue=stored.issue,
            sections=views.sections(stored, page.lang),
            revision=revision,
        )
        cache.put(key, html)
    return page.html(html)


def _page_number(text: str | None) -> int:
    try:
        number = int((text or "1")[:6])
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


async def search(request: web.Request) -> web.Response:
    page = Page(request)
    query = request.query.get("q", "")[:MAX_Q]
    number = _page_number(request.query.get("page"))
    if not query.strip():
        return page.respond("search.html.j2", query="", found=None, results=(), notices=())
    conn = request.app[DB].reader
    cache = request.app[PAGES]
    version = await archive_version(conn)
    key = ("search", version, query, number, page.lang, page.chosen, page.switch())
    html = cache.get(key)
    if html is None:
        html = await _search_page(page, conn, query, number)
        cache.put(key, html)
    return page.html(html)


async def _search_page(page: Page, conn: aiosqlite.Connection, query: str, number: int) -> str:
    found = await run_search(conn, query, limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
    pages = max(1, -(-found.total // PER_PAGE))
    shown = found.query.raw
    return page.render(
        "search.html.j2",
        query=shown,
        found=found,
        results=[views.result_view(r, page.lang) for r in found.results],
        number=number,
        pages=pages,
        first=found.offset + 1,
        previous=page.href("/search", q=shown, page=number - 1) if number > 1 else None,
        next=page.href("/search", q=shown, page=number + 1) if found.has_more else None,
        notices=tuple(notice_text(page.lang, n) for n in found.query.notices),
    )


def not_found(request: web.Request, *, date: str | None = None) -> web.Response:
    """The 404 page: what was not found and where to look instead."""
    return Page(request).respond("not_found.html.j2", status=404, date=date)
