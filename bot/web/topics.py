"""``/topics`` (the catalogue with entry counts) and ``/topics/<slug>`` (the entries one
topic tags across issues, newest first, paged), with the topic's feeds, Telegram deep
link and e-mail sign-up."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.i18n import Lang
from bot.store.entry_topics import topic_counts
from bot.store.topic_pages import count_tagged, tagged_entries
from bot.topics.catalog import Topic, load_catalog
from bot.web import views
from bot.web.keys import DB
from bot.web.pages import Page, cached, not_found

PER_PAGE = 20  # entries per topic page
MAX_PAGE_DIGITS = 6  # ?page= beyond this is not a number we read


@dataclass(frozen=True, slots=True)
class TopicView:
    slug: str
    name: str
    other_name: str  # the name in the other language, for readers of both
    count: int


def topic_view(topic: Topic, lang: Lang, count: int) -> TopicView:
    english = topic.en[:1].upper() + topic.en[1:]  # a heading: "Quantization", "GPU"
    name, other = (topic.zh, english) if lang == "zh" else (english, topic.zh)
    return TopicView(topic.slug, name, other, count)


@dataclass(frozen=True, slots=True)
class TaggedView:
    issue_date: str
    entry: views.EntryView  # numbered as on the issue page: its anchor is there


def topic_by_slug(slug: str) -> Topic | None:
    return load_catalog().get(slug) if len(slug) <= 64 else None


def page_number(text: str | None) -> int | None:
    """``?page=``: 1 when absent, None when it is not a page number at all."""
    if text is None or text == "":
        return 1
    if not text.isdigit() or len(text) > MAX_PAGE_DIGITS or int(text) < 1:
        return None
    return int(text)


async def catalogue(request: web.Request) -> web.Response:
    page = Page(request)

    async def build() -> bytes:
        counts = await topic_counts(request.app[DB].reader)
        topics = [topic_view(t, page.lang, counts.get(t.slug, 0)) for t in load_catalog().topics]
        return page.render("topics.html.j2", topics=topics).encode("utf-8")

    return await cached(request, ("topics", page.lang, page.chosen, page.switch()), build)


async def topic(request: web.Request) -> web.Response:
    page = Page(request)
    found = topic_by_slug(request.match_info["slug"])
    if found is None:
        return not_found(request, topic=request.match_info["slug"][:64])
    number = page_number(request.query.get("page"))
    conn = request.app[DB].reader

    async def build() -> bytes | web.Response:
        total = await count_tagged(conn, found.slug)
        pages = max(1, -(-total // PER_PAGE))
        view = topic_view(found, page.lang, total)
        if number is None or number > pages:
            return not_found(request, topic_page=view, pages=pages)
        offset = (number - 1) * PER_PAGE
        rows = await tagged_entries(conn, found.slug, limit=PER_PAGE, offset=offset)
        path = f"/topics/{found.slug}"
        return page.render(
            "topic.html.j2",
            topic=view,
            entries=[TaggedView(r.issue_date, views.entry_view(r.number, r.entry)) for r in rows],
            number=number,
            pages=pages,
            first=offset + 1,
            previous=page.href(path, page=number - 1) if number > 1 else None,
            next=page.href(path, page=number + 1) if number < pages else None,
            deep_link=page.telegram_link(found.slug),
        ).encode("utf-8")

    key = ("topic", found.slug, number, page.lang, page.chosen, page.switch())
    return await cached(request, key, build)
