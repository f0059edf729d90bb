"""``/feed.atom`` (RFC 4287) and ``/feed.json`` (JSON Feed 1.1): one item per issue.

An item's id is the issue's page URL (stable: the date never changes) and its
``updated`` / ``date_modified`` is the time of the issue's last revision, so a feed
reader shows a re-published issue as changed rather than as new.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from aiohttp import web

from bot.i18n import t_text
from bot.render.env import render
from bot.store.issues import IssueSummary, get_issue, list_issues
from bot.web import views
from bot.web.keys import DB, SITE

ATOM = "http://www.w3.org/2005/Atom"
JSON_FEED = "https://jsonfeed.org/version/1.1"
FEED_ITEMS = 50  # the newest issues; older ones stay on /issues
MAX_AGE = 300
FEED_LANG = "zh"  # the issues are written in Chinese
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class Item:
    url: str
    title: str
    summary: str
    html: str
    published: views.Stamp
    updated: views.Stamp


async def _items(request: web.Request) -> tuple[str, list[Item]]:
    base = request.app[SITE].base(request)
    conn = request.app[DB].reader
    items = []
    for row in (await list_issues(conn))[:FEED_ITEMS]:
        stored = await get_issue(conn, row.date)
        if stored is None:  # removed between the two reads
            continue
        url = f"{base}/issues/{row.date}"
        html = render(
            "web/feed_item.html.j2",
            FEED_LANG,
            url=url,
            intro=stored.issue.intro,
            sections=views.sections(stored, FEED_LANG),
        )
        items.append(_item(row, url, html))
    return base, items


def _item(row: IssueSummary, url: str, html: str) -> Item:
    return Item(
        url=url,
        title=row.description or row.date,
        summary=" ".join(row.intro.split()),
        html=html,
        published=views.Stamp.of(row.published_at),
        updated=views.Stamp.of(row.updated_at),
    )


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _respond(request: web.Request, body: bytes, content_type: str) -> web.Response:
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {"Cache-Control": f"public, max-age={MAX_AGE}", "ETag": etag}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)


async def atom(request: web.Request) -> web.Response:
    base, items = await _items(request)
    name = t_text("digest.name", FEED_LANG)
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = _xml_text(text)
        return element

    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": FEED_LANG})
    sub(feed, "id", f"{base}/")
    sub(feed, "title", name)
    sub(feed, "updated", max((i.updated.iso for i in items), default="1970-01-01T00:00:00Z"))
    sub(sub(feed, "author"), "name", name)
    sub(feed, "link", rel="self", type="application/atom+xml", href=f"{base}/feed.atom")
    sub(feed, "link", rel="alternate", type="text/html", href=f"{base}/")
    for item in items:
        entry = sub(feed, "entry")
        sub(entry, "id", item.url)
        sub(entry, "title", item.title)
        sub(entry, "published", item.published.iso)
        sub(entry, "updated", item.updated.iso)
        sub(entry, "link", rel="alternate", type="text/html", href=item.url)
        if item.summary:
            sub(entry, "summary", item.summary)
        sub(entry, "content", item.html, type="html")
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return _respond(request, body, "application/atom+xml")


async def json_feed(request: web.Request) -> web.Response:
    base, items = await _items(request)
    name = t_text("digest.name", FEED_LANG)
    document = {
        "version": JSON_FEED,
        "title": name,
        "home_page_url": f"{base}/",
        "feed_url": f"{base}/feed.json",
        "language": "zh-CN",
        "authors": [{"name": name}],
        "items": [
            {
                "id": item.url,
                "url": item.url,
                "title": item.title,
                "summary": item.summary,
                "content_html": item.html,
                "date_published": item.published.iso,
                "date_modified": item.updated.iso,
                "language": "zh-CN",
            }
            for item in items
        ],
    }
    body = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    return _respond(request, body, "application/feed+json")
