"""/prefs/<token> over real HTTP: the page shows what is stored, a POST saves topics,
free words, language, delivery time, time zone and pause in one go — or, on any bad
value, nothing at all; forged, expired and foreign tokens get a clear 404."""

from __future__ import annotations

import re
import time

from aiohttp.test_utils import TestClient
from pydantic import SecretStr

from bot.mail.mailer import link_path
from bot.mail.tokens import DAY, Tokens
from bot.store.database import Database
from bot.store.subscribers import Subscriber, add_confirmed, get_subscriber, is_deliverable
from bot.store.subscribers import unsubscribe as unsubscribe_row
from bot.store.topics import subscriber_topics
from tests.support.forms import FORM_SECRET, FORM_TOKENS, form_token, settle, site_path
from tests.support.smtp import Sink, text_part

Client = TestClient  # type: ignore[type-arg]


async def reader(database: Database, address: str = "reader@example.org") -> Subscriber:
    return await database.write(
        lambda conn: add_confirmed(
            conn, address, topics=["剪枝"], language="zh", source="admin", detail="test"
        )
    )


async def stored(database: Database, subscriber_id: int) -> tuple[object, ...]:
    found = await get_subscriber(database.reader, subscriber_id)
    assert found is not None
    topics = await subscriber_topics(database.reader, subscriber_id)
    terms = tuple(("-" if t.exclude else "") + t.term for t in topics)
    return (found.language, found.delivery_time, found.timezone, found.paused_at, terms)


async def open_page(client: Client, path: str) -> str:
    page = await client.get(path)
    assert page.status == 200, await page.text()
    return await page.text()


async def test_the_page_shows_and_saves_every_preference(
    mail_site: Client, database: Database
) -> None:
    subscriber = await reader(database)
    path = link_path(FORM_TOKENS, "preferences", subscriber.id)
    html = await open_page(mail_site, path)
    assert "订阅设置" in html and "reader@example.org" in html
    assert re.search(r'value="pruning" checked>', html)
    assert not re.search(r'value="quantization" checked>', html)
    answer = await mail_site.post(
        path,
        data=[
            ("form_token", form_token(html)),
            ("topics", "quantization"),
            ("topics", "pruning"),
            ("words", 'NCNN "model compression" -招聘 INT8'),
            ("lang", "en"),
            ("time", "8:30"),
            ("tz", "北京"),
            ("pause", "1"),
        ],
    )
    saved = await answer.text()
    assert answer.status == 200 and "Saved." in saved and "The digest is paused" in saved
    language, at, zone, paused_at, terms = await stored(database, subscriber.id)
    assert (language, at, zone) == ("en", "08:30", "Asia/Shanghai")
    assert paused_at is not None
    assert sorted(terms) == sorted(  # type: ignore[call-overload]
        ["#pruning", "#quantization", "ncnn", "model compression", "-#hiring"]
    )
    found = await get_subscriber(database.reader, subscriber.id)
    assert found is not None and not is_deliverable(found)
    again = await open_page(mail_site, path)  # as stored, in the new language
    assert "Your preferences" in again
    assert re.search(r'value="quantization" checked>', again)
    assert 'value="NCNN &#34;model compression&#34; -招聘"' in again
    assert 'name="time" value="08:30"' in again and 'name="tz" value="Asia/Shanghai"' in again
    assert re.search(r'name="pause" value="1" checked>', again)
    resume = await mail_site.post(
        path,
        data={
            "form_token": form_token(again),
            "lang": "en",
            "topics": "quantization",
            "time": "立即",
        },
    )
    assert resume.status == 200
    found = await get_subscriber(database.reader, subscriber.id)
    assert found is not None and is_deliverable(found)
    assert found.delivery_time is None and found.timezone is None


async def test_a_bad_value_saves_nothing(mail_site: Client, database: Database) -> None:
    subscriber = await reader(database)
    path = link_path(FORM_TOKENS, "preferences", subscriber.id)
    html = await open_page(mail_site, path)
    token = form_token(html)
    before = await stored(database, subscriber.id)
    other = await reader(database, "other@example.org")
    foreign = form_token(
        await open_page(mail_site, link_path(FORM_TOKENS, "preferences", other.id))
    )
    cases = {
        "送达时间应写成": {"time": "25:99"},
        "无法识别这个时区": {"tz": "Mars/Olympus"},
        "每个关键词最多 32 个字符": {"words": "x" * 40},
        "关键词太多了": {"words": "w " * 300},
        "总共最多 20 个主题": {"words": " ".join(f"w{n}" for n in range(25))},
        "表单已过期": {"form_token": foreign},
    }
    for says, change in cases.items():
        data = {"form_token": token, "topics": "quantization", "lang": "en", "pause": "1"}
        answer = await mail_site.post(path, data={**data, **change})
        body = await answer.text()
        assert answer.status == 400, says
        assert says in body, body[-2000:]
        assert 'name="time"' in body  # the form again, as typed
        assert await stored(database, subscriber.id) == before, says
    big = await mail_site.post(path, data={"form_token": token, "words": "量" * 10_000})
    assert big.status == 413
    assert await stored(database, subscriber.id) == before


async def test_forged_expired_and_foreign_tokens_get_a_404(
    mail_site: Client, database: Database
) -> None:
    subscriber = await reader(database)
    good = FORM_TOKENS.make("preferences", subscriber.id)
    old = Tokens(SecretStr(FORM_SECRET), clock=lambda: time.time() - 401 * DAY)
    cases = {
        f"/prefs/{good[:-4]}AAAA": "incomplete or was changed",
        f"/prefs/{Tokens(SecretStr('another-secret-0123456789')).make('preferences', 1)}": (
            "incomplete or was changed"
        ),
        f"/prefs/{FORM_TOKENS.make('unsubscribe', subscriber.id)}": "incomplete or was changed",
        f"/prefs/{old.make('preferences', subscriber.id)}": "expired",
        f"/prefs/{FORM_TOKENS.make('preferences', 999)}": "not on our list",
    }
    for path, says in cases.items():
        for method in (mail_site.get, mail_site.post):
            answer = await method(path, headers={"Accept-Language": "en"})
            assert answer.status == 404, path
            assert says in await answer.text(), path
    await database.write(lambda conn: unsubscribe_row(conn, subscriber.id, "test"))
    gone = await mail_site.get(f"/prefs/{good}", headers={"Accept-Language": "en"})
    assert gone.status == 404 and "not on our list" in await gone.text()


async def test_the_confirmed_page_links_to_the_preferences(
    mail_site: Client, smtp_sink: Sink, database: Database
) -> None:
    page = await open_page(mail_site, "/subscribe")
    answer = await mail_site.post(
        "/subscribe", data={"form_token": form_token(page), "email": "new@example.org"}
    )
    assert answer.status == 200
    await settle(mail_site)
    (mail,) = smtp_sink.handler.received
    link = re.search(r"https://\S+/confirm/\S+", text_part(mail.data))
    assert link is not None
    done = await mail_site.post(site_path(link.group(0)))
    html = await done.text()
    prefs = re.search(r'href="(/prefs/[^"]+)"', html)
    assert done.status == 200 and prefs is not None
    assert 'name="pause"' in await open_page(mail_site, prefs.group(1))
