"""The site with e-mail on (a real SMTP sink on 127.0.0.1) for the sign-up and
preferences pages, and helpers reading their forms the way a browser would."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from html import unescape
from typing import TYPE_CHECKING

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.config import Settings
from bot.mail.tokens import Tokens
from bot.store.database import Database

if TYPE_CHECKING:  # support modules load as plugins in order: import the others lazily
    from tests.support.smtp import Sink

FORM_SECRET = "forms-test-secret-0123456789"
FORM_TOKENS = Tokens(SecretStr(FORM_SECRET))
_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def mail_settings(sink: Sink, **overrides: object) -> Settings:
    from tests.support.web import site_settings

    return site_settings(
        smtp_url=SecretStr(sink.url()), secret_key=SecretStr(FORM_SECRET), **overrides
    )


@pytest.fixture
async def mail_site(database: Database, smtp_sink: Sink) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The site with sign-up on, over an empty archive, on a real socket."""
    from bot.web import build_app

    server = TestServer(build_app(database, mail_settings(smtp_sink)), host="127.0.0.1")
    async with TestClient(server) as client:
        yield client


def form_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found is not None, "no form token on the page"
    return unescape(found.group(1))


def site_path(link: str) -> str:
    """A link of our mails (on BOT_PUBLIC_URL) as a path on the test server."""
    from tests.support.web import PUBLIC_URL

    assert link.startswith(PUBLIC_URL), link
    return link.removeprefix(PUBLIC_URL)


async def settle(client: TestClient) -> None:  # type: ignore[type-arg]
    """Wait until the sign-ups answered so far have sent their confirmation mails."""
    from bot.web.keys import FORMS

    sending = client.server.app[FORMS].sending
    if sending:
        await asyncio.wait(set(sending))
