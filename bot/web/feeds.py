"""``/feed.atom`` (RFC 4287) and ``/feed.json`` (JSON Feed 1.1): one item per issue; the
documents themselves, which ``bot.web.topic_feeds`` builds per topic too.

An item's id is stable (the issue's page URL; a tag URI per entry in the topic feeds) and
its ``updated`` / ``date_modified`` is the time of the issue's last revision, so a feed
reader shows a re-published issue as changed rather than as new. A feed's wording
(its title, section names) follows ``?lang=`` or ``Accept-Language`` like the pages;
the entries stay as written (in Chinese).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import web

from bot.i18n import Lang, t_text
from bot.render.env import render
from bot.store.issues import get_issue, list_issues
from bot.web import views
from bot.web.keys import DB, SITE
from bot.web.pages import Page, cached

ATOM = "http://www.w3.org/2005/Atom"
JSON_FEED = "https://jsonfeed.org/version/1.1"
FEED_ITEMS = 50  # the newest issues; older ones stay on /issues
MAX_AGE = 300
HEADERS = {"Cache-Control": f"public, max-age={MAX_AGE}", "Vary": "Accept-Language"}
ENTRY_LANG = "zh-CN"  # the issues are written in Chinese
EPOCH = "1970-01-01T00:00:00Z"
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    url: str
    title: str
    summary: str
    html: str
    published: views.Stamp
    updated: views.Stamp


@dataclass(frozen=True, slots=True)
class Feed:
    id: str
    title: str
    home: str  # the page the feed follows
    atom: str  # the feed's own addresses
    json: str
    lang: Lang
    items: Sequence[Item]

    @property
    def updated(self) -> str:
        return max((i.updated.iso for i in self.items), default=EPOCH)


def lang_code(lang: Lang) -> str:
    return "zh-CN" if lang == "zh" else "en"


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def atom_body(feed: Feed) -> bytes:
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = _xml_text(text)
        return element

    root = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": lang_code(feed.lang)})
    sub(root, "id", feed.id)
    sub(root, "title", feed.title)
    sub(root, "updated", feed.updated)
    sub(sub(root, "author"), "name", t_text("digest.name", feed.lang))
    sub(root, "link", rel="self", type="application/atom+xml", href=feed.atom)
    sub(root, "link", rel="alternate", type="text/html", href=feed.home)
    for item in feed.items:
        entry = sub(root, "entry", **{"xml:lang": ENTRY_LANG})
        sub(entry, "id", item.id)
        sub(entry, "title", item.title)
        sub(entry, "published", item.published.iso)
        sub(entry, "updated", item.updated.iso)
        sub(entry, "link", rel="alternate", type="text/html", href=item.url)
        if item.summary:
            sub(entry, "summary", item.summary)
        sub(entry, "content", item.html, type="html")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def json_body(feed: Feed) -> bytes:
    document = {
        "version": JSON_FEED,
        "title": feed.title,
        "home_page_url": feed.home,
        "feed_url": feed.json,
        "language": lang_code(feed.lang),
        "authors": [{"name": t_text("digest.name", feed.lang)}],
        "items": [
            {
                "id": item.id,
                "url": item.url,
                "title": item.title,
                "summary": item.summary,
                "content_html": item.html,
                "date_published": item.published.iso,
                "date_modified": item.updated.iso,
                "language": ENTRY_LANG,
            }
            for item in feed.items
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


FORMATS: dict[str, tuple[Callable[[Feed], bytes], str]] = {
    "atom": (atom_body, "application/atom+xml"),
    "json": (json_body, "application/feed+json"),
}
Builder = Callable[[web.Request, Page, str], Awaitable[Feed | None]]


async def serve(request: web.Request, build: Builder, kind: str, fmt: str) -> web.Response:
    """The feed ``build`` makes (None: 404), kept until the archive changes."""
    page = Page(request)
    base = request.app[SITE].base(request)
    to_bytes, content_type = FORMATS[fmt]

    async def body() -> bytes:
        feed = await build(request, page, base)
        if feed is None:
            raise web.HTTPNotFound()
        return to_bytes(feed)

    key = ("feed", kind, fmt, page.lang, page.chosen, base)
    return await cached(request, key, body, content_type=content_type, headers=HEADERS)


async def _issues_feed(request: web.Request, page: Page, base: str) -> Feed:
    conn = request.app[DB].reader
    items = []
    for row in (await list_issues(conn))[:FEED_ITEMS]:
        stored = await get_issue(conn, row.date)
        if stored is None:  # removed between the two reads
            continue
        url = f"{base}/issues/{row.date}"
        html = render(
            "web/feed_item.html.j2",
            page.lang,
            url=url,
            intro=stored.issue.intro,
            sections=views.sections(stored, page.lang),
        )
        items.append(
            Item(
                id=url,
                url=url,
                title=row.description or row.date,
                summary=" ".join(row.intro.split()),
                html=html,
                published=views.Stamp.of(row.published_at),
                updated=views.Stamp.of(row.updated_at),
            )
        )
    return Feed(
        id=f"{base}/",
        title=t_text("digest.name", page.lang),
        home=base + page.href("/"),
        atom=base + page.href("/feed.atom"),
        json=base + page.href("/feed.json"),
        lang=page.lang,
        items=items,
    )


async def atom(request: web.Request) -> web.Response:
    return await serve(request, _issues_feed, "issues", "atom")


async def json_feed(request: web.Request) -> web.Response:
    return await serve(request, _issues_feed, "issues", "json")
