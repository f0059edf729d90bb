"""``/prefs/<token>``: an e-mail subscriber's preferences page, linked from the footer of
every digest mail and from the page that confirms a subscription.

The signed ``preferences`` token in the URL (bot.mail.tokens, about 13 months) says whose
page it is; a POST also needs the page's own form token (made for this subscriber), so
another site cannot make a reader's browser change them. The page takes catalogue
topics (checkboxes) and free words parsed like Telegram's ``/topic`` (``NCNN "model
compression" -招聘``), the mail language, the delivery time (``HH:MM`` or empty: as
soon as published), the time zone in the forms ``/tz`` accepts (北京, UTC+8,
Asia/Shanghai) and a pause; all of it is saved in one transaction, or nothing is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from aiohttp import web

from bot.i18n import Lang
from bot.mail.mailer import link_path
from bot.publishing.optin import LinkError, check_link
from bot.store.preferences import Preferences, save_preferences
from bot.store.subscribers import Subscriber
from bot.store.topics import MAX_TOPICS, TopicError, parse_topic
from bot.store.topics import subscriber_topics as topics_of
from bot.text.typed import AS_PUBLISHED, parse_time, resolve_timezone, split_terms, timezone_label
from bot.topics.catalog import load_catalog
from bot.topics.filter import topic_name
from bot.web.guard import FormTooLarge, client_key, field, read_form
from bot.web.keys import DB, FORMS, TOKENS
from bot.web.pages import Page
from bot.web.signup import topic_choices
from bot.web.subscription import invalid, subscriber_page

SAVES_PER_WINDOW = 30
WINDOW = 600.0
MAX_WORDS = 512  # characters of free words, as much as a Telegram command's arguments
MAX_FIELD = 64  # the delivery time and the time zone


@dataclass(frozen=True, slots=True)
class Shown:
    """The form's values as the reader sees them (stored, or as typed when refused)."""

    ticked: set[str]
    words: str
    lang: Lang
    time: str
    tz: str
    paused: bool


def _quoted(word: str) -> str:
    return f'"{word}"' if " " in word else word


async def _stored(request: web.Request, subscriber: Subscriber) -> Shown:
    topics = await topics_of(request.app[DB].reader, subscriber.id)
    ticked = {t.slug for t in topics if t.slug is not None and not t.exclude}
    words = " ".join(
        ("-" if t.exclude else "") + _quoted(t.display)
        for t in topics
        if t.slug is None or t.exclude
    )
    return Shown(
        ticked=ticked,
        words=words,
        lang=subscriber.language,
        time=subscriber.delivery_time or "",
        tz=timezone_label(subscriber.timezone) if subscriber.timezone else "",
        paused=subscriber.paused_at is not None,
    )


def _render(
    page: Page,
    subscriber: Subscriber,
    shown: Shown,
    *,
    status: int = 200,
    saved: bool = False,
    error: str | None = None,
) -> web.Response:
    forms = page.request.app[FORMS]
    assert forms.tokens is not None
    return page.respond(
        "prefs.html.j2",
        status=status,
        address=subscriber.address,
        action=page.request.path,
        topics=topic_choices(page.lang, shown.ticked),
        shown=shown,
        default_tz=timezone_label(forms.default_tz),
        form_token=forms.tokens.make("prefs", subscriber.id),
        max_topics=MAX_TOPICS,
        unsubscribe=link_path(page.request.app[TOKENS], "unsubscribe", subscriber.id),
        saved=saved,
        error=error,
    )


async def _subscriber(request: web.Request) -> Subscriber | web.Response:
    """The subscriber whose page the URL's token opens, or the 404 page saying why."""
    tokens = request.app.get(TOKENS)
    if tokens is None or request.app[FORMS].tokens is None:
        return invalid(request, "forged")
    try:
        token = request.match_info["token"]
        found = await check_link(request.app[DB], tokens, "preferences", token)
    except LinkError as exc:
        return invalid(request, exc.kind)
    if found.status not in ("unconfirmed", "confirmed"):
        return invalid(request, "gone")
    return found


async def show(request: web.Request) -> web.Response:
    subscriber = await _subscriber(request)
    if isinstance(subscriber, web.Response):
        return subscriber
    page = subscriber_page(request, subscriber.language)
    return _render(page, subscriber, await _stored(request, subscriber))


def _parse(fields: dict[str, list[str]], lang_now: Lang) -> tuple[Shown, list[str], str | None]:
    """What the reader sent, the topics to store, and the problem (an i18n key) or None."""
    catalogue = {topic.slug: topic for topic in load_catalog().topics}
    ticked = [slug for slug in dict.fromkeys(fields.get("topics", [])) if slug in catalogue]
    words = field(fields, "words")
    lang: Lang = "en" if field(fields, "lang") == "en" else "zh"
    if field(fields, "lang") not in ("zh", "en"):
        lang = lang_now
    shown = Shown(
        ticked=set(ticked),
        words=words[:MAX_WORDS],
        lang=lang,
        time=field(fields, "time")[:MAX_FIELD].strip(),
        tz=field(fields, "tz")[:MAX_FIELD].strip(),
        paused=field(fields, "pause") == "1",
    )
    # Catalogue topics by name (they resolve to #slug), then the words as typed.
    wanted = {f"#{slug}": topic_name(catalogue[slug], lang) for slug in ticked}
    if len(words) > MAX_WORDS:
        return shown, [], "words_too_long"
    for word in split_terms(words):
        try:
            topic = parse_topic(word)
        except TopicError:
            return shown, [], "word_too_long"
        wanted.setdefault(topic.term, word)
    if len(wanted) > MAX_TOPICS:
        return shown, [], "too_many"
    if shown.time.lower() in AS_PUBLISHED:
        shown = replace(shown, time="")
    if shown.time and parse_time(shown.time) is None:
        return shown, [], "bad_time"
    if shown.tz and resolve_timezone(shown.tz) is None:
        return shown, [], "bad_tz"
    return shown, list(wanted.values()), None


async def save(request: web.Request) -> web.Response:
    forms = request.app[FORMS]
    page = Page(request)
    if not forms.saves.hit(client_key(request, trust_proxy=forms.trust_proxy)):
        return page.respond("problem.html.j2", status=429, problem="rate_limited")
    subscriber = await _subscriber(request)
    if isinstance(subscriber, web.Response):
        return subscriber
    page = subscriber_page(request, subscriber.language)
    try:
        fields = await read_form(request)
    except FormTooLarge:
        return page.respond("problem.html.j2", status=413, problem="too_large")
    assert forms.tokens is not None
    shown, terms, problem = _parse(fields, subscriber.language)
    if not forms.tokens.check(field(fields, "form_token"), "prefs", subscriber.id):
        problem = "form_expired"
    if problem is not None:
        return _render(page, subscriber, shown, status=400, error=problem)
    prefs = Preferences(
        topics=terms,
        language=shown.lang,
        delivery_time=parse_time(shown.time) if shown.time else None,
        timezone=resolve_timezone(shown.tz) if shown.tz else None,
        paused=shown.paused,
    )
    sid = subscriber.id
    try:
        saved = await request.app[DB].write(lambda conn: save_preferences(conn, sid, prefs))
    except TopicError:  # the store checks the same limit; _parse refused it already
        return _render(page, subscriber, shown, status=400, error="too_many")
    if saved is None:
        return invalid(request, "gone")
    page = subscriber_page(request, saved.language)
    return _render(page, saved, await _stored(request, saved), saved=True)
