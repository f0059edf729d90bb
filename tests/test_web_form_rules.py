"""Review fixes of the subscriber forms, over real HTTP with a real SMTP server: the
sign-up refuses more topics than a subscriber may have (the form again, not "check your
inbox" and a silent failure), the preferences page says which word it refused and why,
and the pages whose URL holds a subscriber's token are never cached nor referred."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from bot.mail.mailer import link_path
from bot.store.database import Database
from bot.store.subscribers import add_confirmed, find_subscriber
from bot.store.topics import MAX_TOPICS, subscriber_topics
from bot.topics.catalog import load_catalog
from tests.support.forms import FORM_TOKENS, form_token, settle
from tests.support.smtp import Sink

Client = TestClient  # type: ignore[type-arg]
SLUGS = [topic.slug for topic in load_catalog().topics]


async def sign_up(client: Client, slugs: list[str], lang: str) -> tuple[int, str]:
    page = await client.get("/subscribe", headers={"Accept-Language": lang})
    html = await page.text()
    data = [("form_token", form_token(html)), ("email", "many@example.org"), ("lang", lang)]
    data += [("topics", slug) for slug in slugs]
    answer = await client.post("/subscribe", data=data, headers={"Accept-Language": lang})
    return answer.status, await answer.text()


async def test_a_sign_up_with_too_many_topics_gets_the_form_again(
    mail_site: Client, smtp_sink: Sink, database: Database
) -> None:
    assert len(SLUGS) > MAX_TOPICS
    form = await (await mail_site.get("/subscribe", headers={"Accept-Language": "en"})).text()
    assert f"at most {MAX_TOPICS}" in form
    for lang, says in (
        ("en", f"At most {MAX_TOPICS} topics can be ticked"),
        ("zh", f"最多只能勾选 {MAX_TOPICS} 个主题"),
    ):
        status, html = await sign_up(mail_site, SLUGS[: MAX_TOPICS + 1], lang)
        assert status == 400 and says in html
        assert html.count(" checked>") == MAX_TOPICS + 2  # as ticked, and the language
        assert 'value="many@example.org"' in html
    await settle(mail_site)
    assert smtp_sink.handler.received == []
    assert await find_subscriber(database.reader, "many@example.org") is None
    status, html = await sign_up(mail_site, SLUGS[:MAX_TOPICS], "en")
    assert status == 200 and "Check your inbox" in html
    await settle(mail_site)
    found = await find_subscriber(database.reader, "many@example.org")
    assert found is not None
    assert len(await subscriber_topics(database.reader, found.id)) == MAX_TOPICS


async def test_the_preferences_page_says_which_word_it_refused_and_why(
    mail_site: Client, database: Database
) -> None:
    reader = await database.write(
        lambda conn: add_confirmed(
            conn, "reader@example.org", topics=["NCNN"], language="en", source="admin", detail="t"
        )
    )
    path = link_path(FORM_TOKENS, "preferences", reader.id)
    token = form_token(await (await mail_site.get(path)).text())
    cases = {
        "-": "“-” is not a word: it needs at least one letter or digit",
        "--": "“--” is not a word",
        "#": "“#” is not a word",
        "ok -#": "“-#” is not a word",
        "x" * 40: f"“{'x' * 40}” is too long: a word can be at most 32 characters",
        " ".join(f"w{n}" for n in range(25)): f"At most {MAX_TOPICS} topics in all",
    }
    for words, says in cases.items():
        answer = await mail_site.post(path, data={"form_token": token, "words": words})
        body = await answer.text()
        assert answer.status == 400, words
        assert says in body, (words, re.findall(r'id="form-error">[^<]*', body))
        terms = [t.term for t in await subscriber_topics(database.reader, reader.id)]
        assert terms == ["ncnn"], words
    zh = await mail_site.post(path + "?lang=zh", data={"form_token": token, "words": "#"})
    assert zh.status == 400 and "“#”不是关键词" in await zh.text()
    hostile = await mail_site.post(path, data={"form_token": token, "words": "<b>-</b>" + "x" * 30})
    assert "<b>-</b>" not in await hostile.text()  # the word echoed, escaped


async def test_pages_with_a_token_in_the_url_are_private(
    mail_site: Client, database: Database
) -> None:
    reader = await database.write(
        lambda conn: add_confirmed(
            conn, "reader@example.org", topics=[], language="en", source="admin", detail="t"
        )
    )
    paths = [link_path(FORM_TOKENS, p, reader.id) for p in ("preferences", "unsubscribe")]
    paths += [link_path(FORM_TOKENS, "confirm", reader.id), "/prefs/forged", "/confirm/forged"]
    for path in paths:
        answer = await mail_site.get(path)
        assert answer.status in (200, 404), path
        assert answer.headers["Cache-Control"] == "private, no-store", path
        assert answer.headers["Referrer-Policy"] == "no-referrer", path
    home = await mail_site.get("/")
    assert "no-store" not in home.headers["Cache-Control"]
    assert home.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
