"""``/topics/<slug>.atom`` and ``/topics/<slug>.json``: one item per entry the topic tags.

An item's id is a tag URI (RFC 4151) of the site's host, the entry's issue date and the
entry's key (its URL, else its normalized title: what ``bot.store.issues`` keeps across
revisions), so it never changes when the issue is re-published; its link is the entry's
anchor on the issue page, and its ``updated`` the time of the issue's last revision.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from aiohttp import web

from bot.i18n import t_text
from bot.render.env import render
from bot.render.text import clip
from bot.store.topic_pages import TopicEntry, tagged_entries
from bot.web import feeds, views
from bot.web.keys import DB
from bot.web.pages import Page
from bot.web.topics import topic_by_slug, topic_view

FEED_ENTRIES = 50  # the newest tagged entries; the topic page pages through the rest
SUMMARY_CHARS = 300
_TAG_SAFE = "/:@!$&'()*+,;=-._~"


def entry_id(base: str, row: TopicEntry) -> str:
    """``tag:<host>,<issue date>:<entry key>``: stable for the life of the entry."""
    host = urlsplit(base).hostname or "localhost"
    return f"tag:{host},{row.issue_date}:{quote(row.key, safe=_TAG_SAFE)}"


def _item(base: str, page: Page, row: TopicEntry) -> feeds.Item:
    view = views.entry_view(row.number, row.entry)
    url = f"{base}/issues/{row.issue_date}#{view.anchor}"
    html = render("web/topic_feed_item.html.j2", page.lang, e=view, url=url, date=row.issue_date)
    return feeds.Item(
        id=entry_id(base, row),
        url=url,
        title=view.title,
        summary=clip(" ".join(" ".join(view.paragraphs).split()), SUMMARY_CHARS),
        html=html,
        published=views.Stamp.of(row.published_at),
        updated=views.Stamp.of(row.updated_at),
    )


async def _topic_feed(request: web.Request, page: Page, base: str) -> feeds.Feed | None:
    topic = topic_by_slug(request.match_info["slug"])
    if topic is None:
        return None
    rows = await tagged_entries(request.app[DB].reader, topic.slug, limit=FEED_ENTRIES)
    path = f"/topics/{topic.slug}"
    name = topic_view(topic, page.lang, len(rows)).name
    return feeds.Feed(
        id=f"{base}{path}",
        title=t_text(
            "topic_pages.feed_title", page.lang, digest=t_text("digest.name", page.lang), topic=name
        ),
        home=base + page.href(path),
        atom=base + page.href(f"{path}.atom"),
        json=base + page.href(f"{path}.json"),
        lang=page.lang,
        items=[_item(base, page, row) for row in rows],
    )


async def atom(request: web.Request) -> web.Response:
    return await feeds.serve(request, _topic_feed, request.match_info["slug"][:64], "atom")


async def json_feed(request: web.Request) -> web.Response:
    return await feeds.serve(request, _topic_feed, request.match_info["slug"][:64], "json")
