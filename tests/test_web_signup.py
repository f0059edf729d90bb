"""/subscribe over real HTTP with a real SMTP server on 127.0.0.1: the form, the sign-up
and its confirmation mail, one answer whatever the address's state, and hostile input
(forged form tokens, honeypot, CR/LF in the address, 10,000-character fields, oversized
bodies, a thousand sign-ups from one client)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.logs import fields_of
from bot.store.database import Database
from bot.store.subscribers import add_confirmed, find_subscriber, sign_up, suppress
from bot.store.topics import subscriber_topics
from bot.web import build_app
from bot.web.guard import RateLimiter
from bot.web.signup import SIGNUPS_PER_WINDOW
from tests.support.forms import form_token, mail_settings, settle
from tests.support.smtp import Sink, text_part
from tests.support.web import BOT_USERNAME, PUBLIC_URL, site_settings

Client = TestClient  # type: ignore[type-arg]


async def fresh_token(client: Client, lang: str = "en") -> str:
    page = await client.get("/subscribe", headers={"Accept-Language": lang})
    assert page.status == 200
    return form_token(await page.text())


async def post(client: Client, token: str, **fields: object) -> tuple[int, str]:
    data: list[tuple[str, str]] = [("form_token", token)]
    for name, value in fields.items():
        values = value if isinstance(value, list) else [value]
        data += [(name, str(v)) for v in values]
    answer = await client.post("/subscribe", data=data, headers={"Accept-Language": "en"})
    return answer.status, await answer.text()


async def test_the_form_lists_the_catalogue_and_preselects_a_topic(mail_site: Client) -> None:
    page = await mail_site.get("/subscribe?topic=quantization", headers={"Accept-Language": "zh"})
    html = await page.text()
    assert page.status == 200 and "用邮件订阅" in html
    assert html.count('type="checkbox" name="topics"') == 23
    assert re.search(r'value="quantization" checked> 量化', html)
    assert html.count(" checked>") == 2  # the topic and the mail language
    assert f"https://t.me/{BOT_USERNAME}?start=topic_quantization" in html
    assert 'name="website"' in html and "<script" not in html
    english = await (await mail_site.get("/subscribe?lang=en")).text()
    assert "Subscribe by e-mail" in english and "> quantization<" in english
    home = await (await mail_site.get("/", headers={"Accept-Language": "en"})).text()
    assert 'action="/subscribe"' in home and 'name="form_token"' in home


async def test_a_sign_up_sends_one_confirmation_mail_with_the_ticked_topics(
    mail_site: Client, smtp_sink: Sink, database: Database
) -> None:
    token = await fresh_token(mail_site)
    status, html = await post(
        mail_site, token, email="Reader@Example.org", topics=["quantization", "nope"], lang="zh"
    )
    assert status == 200 and "Check your inbox" in html and "reader@example.org" in html
    await settle(mail_site)
    (mail,) = smtp_sink.handler.received
    assert mail.rcpt_tos == ["reader@example.org"]
    assert re.search(re.escape(PUBLIC_URL) + r"/confirm/\S+", text_part(mail.data))
    found = await find_subscriber(database.reader, "reader@example.org")
    assert found is not None and found.status == "unconfirmed" and found.language == "zh"
    assert [t.term for t in await subscriber_topics(database.reader, found.id)] == ["#quantization"]


async def test_every_address_state_gets_the_same_answer(
    database: Database, smtp_sink: Sink
) -> None:
    long_ago = (datetime.now(UTC) - timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S")
    states = {
        "unknown": "unknown@example.org",
        "unconfirmed": "pending@example.org",
        "throttled": "throttled@example.org",
        "confirmed": "reader@example.org",
        "suppressed": "bounced@example.org",
    }

    async def prepare(conn: object) -> None:
        args = {"topics": [], "language": "en", "source": "web"}
        await sign_up(conn, states["unconfirmed"], now=long_ago, **args)  # type: ignore[arg-type]
        await sign_up(conn, states["throttled"], **args)  # type: ignore[arg-type]
        await add_confirmed(conn, states["confirmed"], detail="test", **args)  # type: ignore[arg-type]
        gone = await add_confirmed(conn, states["suppressed"], detail="t", **args)  # type: ignore[arg-type]
        await suppress(conn, gone.id, "bounced", "550 no such user")  # type: ignore[arg-type]

    await database.write(prepare)  # type: ignore[arg-type]
    server = TestServer(build_app(database, mail_settings(smtp_sink)), host="127.0.0.1")
    answers: dict[str, tuple[int, str, list[str]]] = {}
    async with TestClient(server) as client:
        token = await fresh_token(client)
        for state, address in states.items():
            answer = await client.post(
                "/subscribe",
                data={"form_token": token, "email": address, "topics": "pruning", "lang": "en"},
                headers={"Accept-Language": "en"},
            )
            body = (await answer.text()).replace(address, "ADDRESS")
            skip = {"Date", "Content-Length"}
            headers = sorted(f"{k}: {v}" for k, v in answer.headers.items() if k not in skip)
            answers[state] = (answer.status, body, headers)
        await settle(client)
    first = answers["unknown"]
    assert first[0] == 200 and "ADDRESS" in first[1]
    for state, seen in answers.items():
        assert seen == first, f"{state} answers differently"
    # Behind the one answer: mail only where a confirmation was due, nothing changed else.
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.handler.received) == [
        "pending@example.org",
        "unknown@example.org",
    ]
    confirmed = await find_subscriber(database.reader, "reader@example.org")
    assert confirmed is not None and confirmed.status == "confirmed"
    assert await subscriber_topics(database.reader, confirmed.id) == []
    bounced = await find_subscriber(database.reader, "bounced@example.org")
    assert bounced is not None and bounced.status == "bounced"


async def test_bad_addresses_get_the_form_again_and_nothing_is_sent(
    mail_site: Client, smtp_sink: Sink, database: Database
) -> None:
    token = await fresh_token(mail_site)
    hostile = [
        "not an address",
        "reader@example.org\r\nBcc: victim@example.org",
        "reader@example.org\nSubject: hi",
        "x" * 10_000 + "@example.org",
        "",
    ]
    for raw in hostile:
        status, html = await post(mail_site, token, email=raw, topics="quantization")
        assert status == 400, raw[:40]
        assert "does not look like an e-mail address" in html
        assert 'name="email"' in html and len(html) < 20_000  # echoed only bounded
        assert "\r\nBcc" not in html
    await settle(mail_site)
    assert smtp_sink.handler.received == []
    assert await find_subscriber(database.reader, "reader@example.org") is None


async def test_forged_missing_and_foreign_form_tokens_are_refused(
    mail_site: Client, smtp_sink: Sink
) -> None:
    good = await fresh_token(mail_site)
    for token in ("", "forged", good[:-3] + "AAA", "x" * 10_000):
        status, html = await post(mail_site, token, email="a@example.org")
        assert status == 400 and "form has expired" in html
    assert smtp_sink.handler.received == []


async def test_the_honeypot_looks_like_success_but_does_nothing(
    mail_site: Client, smtp_sink: Sink, database: Database
) -> None:
    token = await fresh_token(mail_site)
    status, html = await post(mail_site, token, email="bot@example.org", website="http://spam")
    assert status == 200 and "Check your inbox" in html
    await settle(mail_site)
    assert smtp_sink.handler.received == []
    assert await find_subscriber(database.reader, "bot@example.org") is None


async def test_oversized_bodies_get_413(mail_site: Client, smtp_sink: Sink) -> None:
    token = await fresh_token(mail_site)
    status, html = await post(mail_site, token, email="a@example.org", words="量" * 10_000)
    assert status == 413 and "larger than any of ours" in html
    many = [("topics", "quantization")] * 500 + [("form_token", token), ("email", "b@x.org")]
    answer = await mail_site.post("/subscribe", data=many)
    assert answer.status == 413
    assert smtp_sink.handler.received == []


@pytest.mark.slow  # 10,000 requests
async def test_ten_thousand_sign_ups_from_one_client_are_rate_limited(
    mail_site: Client, smtp_sink: Sink, database: Database
) -> None:
    token = await fresh_token(mail_site, "zh")
    statuses: list[int] = []

    async def sign_up(n: int) -> int:
        answer = await mail_site.post(
            "/subscribe",
            data={"form_token": token, "email": f"r{n}@example.org"},
            headers={"Accept-Language": "zh"},
        )
        if n == SIGNUPS_PER_WINDOW:
            text = await answer.text()
            assert "尝试次数过多" in text and "十分钟" in text
        return answer.status

    for n in range(SIGNUPS_PER_WINDOW + 1):  # in order: the first ones are let through
        statuses.append(await sign_up(n))
    for start in range(SIGNUPS_PER_WINDOW + 1, 10_000, 250):  # then a flood
        batch = range(start, min(start + 250, 10_000))
        statuses.extend(await asyncio.gather(*(sign_up(n) for n in batch)))
    assert len(statuses) == 10_000
    assert statuses[:SIGNUPS_PER_WINDOW] == [200] * SIGNUPS_PER_WINDOW
    assert set(statuses[SIGNUPS_PER_WINDOW:]) == {429}
    await settle(mail_site)
    assert len(smtp_sink.handler.received) == SIGNUPS_PER_WINDOW
    async with database.reader.execute("SELECT count(*) FROM email_subscribers") as cur:
        assert await cur.fetchone() == (SIGNUPS_PER_WINDOW,)  # the flood changed nothing


async def test_forwarded_for_counts_only_behind_a_trusted_proxy(
    database: Database, smtp_sink: Sink
) -> None:
    async def statuses(trust: bool, forwarded: list[str]) -> list[int]:
        app = build_app(database, mail_settings(smtp_sink, trust_proxy=trust))
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            token = await fresh_token(client)
            seen = []
            for n, address in enumerate(forwarded):
                answer = await client.post(
                    "/subscribe",
                    data={"form_token": token, "email": "bad"},
                    headers={"X-Forwarded-For": f"198.51.100.7, {address}", "X-N": str(n)},
                )
                seen.append(answer.status)
            return seen

    one = ["203.0.113.9"] * (SIGNUPS_PER_WINDOW + 1)
    assert await statuses(True, one) == [400] * SIGNUPS_PER_WINDOW + [429]
    spread = [f"203.0.113.{n}" for n in range(SIGNUPS_PER_WINDOW + 1)]
    assert await statuses(True, spread) == [400] * (SIGNUPS_PER_WINDOW + 1)
    # Without a proxy the header is anyone's say: the peer (127.0.0.1) is counted.
    assert await statuses(False, spread) == [400] * SIGNUPS_PER_WINDOW + [429]


def test_the_rate_limiter_forgets_old_hits_and_stays_bounded() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 60, max_keys=100, clock=lambda: now[0])
    assert [limiter.hit("a") for _ in range(3)] == [True, True, False]
    now[0] = 61
    assert limiter.hit("a") is True
    for n in range(10_000):
        limiter.hit(f"client-{n}")
    assert len(limiter) == 100


async def test_without_e_mail_the_form_says_sign_up_is_off(database: Database) -> None:
    async with TestClient(TestServer(build_app(database, site_settings()))) as client:
        page = await client.get("/subscribe", headers={"Accept-Language": "en"})
        assert page.status == 503 and "not open on this site" in await page.text()
        answer = await client.post("/subscribe", data={"email": "a@example.org"})
        assert answer.status == 503
        home = await (await client.get("/")).text()
        assert 'action="/subscribe"' not in home


async def test_a_chunked_body_without_length_is_read_whole_and_bounded(
    mail_site: Client, smtp_sink: Sink
) -> None:
    token = await fresh_token(mail_site)

    async def pieces(body: bytes, size: int) -> AsyncIterator[bytes]:
        for start in range(0, len(body), size):
            yield body[start : start + size]

    form = urlencode({"form_token": token, "email": "chunks@example.org"}).encode()
    answer = await mail_site.post(
        "/subscribe",
        data=pieces(form, 7),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 200 and "chunks@example.org" in await answer.text()
    await settle(mail_site)
    assert [m.rcpt_tos for m in smtp_sink.handler.received] == [["chunks@example.org"]]
    huge = form + b"&words=" + b"x" * 40_000
    answer = await mail_site.post(
        "/subscribe",
        data=pieces(huge, 1000),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 413


async def test_a_refused_mail_answers_the_same_and_the_address_may_try_again(
    mail_site: Client, smtp_sink: Sink, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_sink.handler.refuse_rcpt["full@example.org"] = ["452 mailbox full, try later"]
    token = await fresh_token(mail_site)
    with caplog.at_level(logging.INFO, logger="bot.web.signup"):
        status, html = await post(mail_site, token, email="full@example.org")
        await settle(mail_site)
    assert status == 200 and "Check your inbox" in html
    assert smtp_sink.handler.received == []
    failed = [fields_of(r) for r in caplog.records if r.getMessage() == "web.signup_failed"]
    assert len(failed) == 1 and "452" in str(failed[0]["reason"])
    found = await find_subscriber(database.reader, "full@example.org")
    assert found is not None and found.confirm_sent_at is None  # the allowance given back
    status, _ = await post(mail_site, token, email="full@example.org")  # at once, not in 1 h
    await settle(mail_site)
    assert status == 200
    assert [m.rcpt_tos for m in smtp_sink.handler.received] == [["full@example.org"]]


async def test_bot_runs_mailer_is_shared_by_the_site_and_outlives_it(
    database: Database, smtp_sink: Sink
) -> None:
    from bot.mail.mailer import Mailer

    settings = mail_settings(smtp_sink)
    shared = Mailer.from_settings(settings)  # what `bot run` makes once for everything
    try:
        for address in ("s@example.org", "t@example.org"):  # the site stopped in between
            app = build_app(database, settings, shared)
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                status, _ = await post(client, await fresh_token(client), email=address)
                assert status == 200
                await settle(client)
        # both confirmations went through the one pool (one BOT_MAIL_RATE), which the
        # first site's shutdown left open for the next user (the sender, in `bot run`)
        assert shared.pool.stats.sent == 2
        assert [m.rcpt_tos for m in smtp_sink.handler.received] == [
            ["s@example.org"],
            ["t@example.org"],
        ]
    finally:
        await shared.close()
