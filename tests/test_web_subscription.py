"""/confirm/<token> and /unsubscribe/<token> over real HTTP, with the confirmation mail
from a real SMTP server on 127.0.0.1: GET changes nothing, POST does, RFC 8058 one-click
answers 200 without cookies, forged and expired links get a clear 404."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.mail.mailer import Mailer
from bot.mail.tokens import DAY, Tokens
from bot.publishing.optin import subscribe
from bot.store.database import Database
from bot.store.subscribers import find_subscriber
from bot.web import build_app
from tests.support.smtp import Sink, text_part
from tests.support.web import PUBLIC_URL, site_settings

SECRET = "web-test-secret-0123456789"


@pytest.fixture
async def mailer(smtp_sink: Sink) -> AsyncIterator[Mailer]:
    settings = site_settings(smtp_url=SecretStr(smtp_sink.url()), secret_key=SecretStr(SECRET))
    made = Mailer.from_settings(settings)
    yield made
    await made.close()


@pytest.fixture
async def client(database: Database) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    server = TestServer(
        build_app(database, site_settings(secret_key=SecretStr(SECRET))), host="127.0.0.1"
    )
    async with TestClient(server) as opened:
        yield opened


async def status_of(database: Database, address: str) -> tuple[str, str | None]:
    found = await find_subscriber(database.reader, address)
    assert found is not None
    return found.status, found.reason


async def test_confirm_link_shows_a_button_and_only_post_confirms(
    database: Database,
    mailer: Mailer,
    smtp_sink: Sink,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    outcome = await subscribe(database, mailer, "Ann@example.org", ["量化"], "en", "web")
    assert outcome.status == "sent"
    (got,) = smtp_sink.handler.received
    link = re.search(re.escape(PUBLIC_URL) + r"(/confirm/[A-Za-z0-9_.\-]+)", text_part(got.data))
    assert link is not None
    path = link.group(1)
    for _ in range(3):  # a scanner following the link, several times
        page = await client.get(path)
        assert page.status == 200
        html = await page.text()
        assert 'method="post"' in html and "ann@example.org" in html and "Confirm" in html
    assert await status_of(database, "ann@example.org") == ("unconfirmed", None)
    done = await client.post(path)
    assert done.status == 200 and "Subscribed" in await done.text()
    assert (await status_of(database, "ann@example.org"))[0] == "confirmed"
    again = await client.post(path)  # idempotent
    assert again.status == 200


async def test_one_click_unsubscribe_is_rfc_8058(
    database: Database,
    mailer: Mailer,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    await subscribe(database, mailer, "bob@example.org", [], "zh", "web")
    found = await find_subscriber(database.reader, "bob@example.org")
    assert found is not None
    path = mailer.link("unsubscribe", found.id).removeprefix(PUBLIC_URL)
    page = await client.get(path)
    assert page.status == 200 and "退订" in await page.text()
    assert (await status_of(database, "bob@example.org"))[0] == "unconfirmed"
    client.session.cookie_jar.clear()
    answer = await client.post(
        path,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 200 and "Set-Cookie" not in answer.headers
    assert await status_of(database, "bob@example.org") == (
        "unsubscribed",
        "one-click (List-Unsubscribe-Post)",
    )
    form = aiohttp.FormData()
    form.add_field("List-Unsubscribe", "One-Click")
    form.add_field("x", "y", content_type="text/plain")  # multipart, as some clients send
    assert (await client.post(path, data=form)).status == 200


async def test_forged_expired_and_wrong_links_get_a_clear_404(
    database: Database,
    mailer: Mailer,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    await subscribe(database, mailer, "carol@example.org", [], "en", "web")
    found = await find_subscriber(database.reader, "carol@example.org")
    assert found is not None
    good = mailer.tokens.make("confirm", found.id)
    old = Tokens(SecretStr(SECRET), clock=lambda: time.time() - 4 * DAY).make("confirm", found.id)
    other = Tokens(SecretStr("another-secret-0123456789")).make("confirm", found.id)
    cases = {
        f"/confirm/{good[:-4]}AAAA": "incomplete or was changed",
        f"/confirm/{other}": "incomplete or was changed",
        f"/confirm/{old}": "expired",
        f"/unsubscribe/{good}": "incomplete or was changed",  # a confirm token, wrong page
        "/confirm/%0d%0aSet-Cookie:x=1": "incomplete or was changed",
        f"/confirm/{'A' * 5000}": "incomplete or was changed",
    }
    for path, says in cases.items():
        for method in (client.get, client.post):
            answer = await method(path, headers={"Accept-Language": "en"})
            assert answer.status == 404, path
            assert says in await answer.text(), path
    assert (await status_of(database, "carol@example.org"))[0] == "unconfirmed"


async def test_without_a_secret_key_every_link_is_refused(
    database: Database,
    mailer: Mailer,
) -> None:
    server = TestServer(build_app(database, site_settings()), host="127.0.0.1")
    async with TestClient(server) as plain:
        token = mailer.tokens.make("confirm", 1)
        answer = await plain.post(f"/confirm/{token}")
        assert answer.status == 404
