"""SMTP delivery against a real server on 127.0.0.1 (aiosmtpd): per-recipient outcomes,
connection reuse and reconnection, rates, and a password that never shows."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.mail.smtp import Outcome, RateLimiter, SmtpPool, SmtpUrl, SmtpUrlError
from tests.support.smtp import Sink, free_port

PASSWORD = "s3cret p@ss:word"
QUOTED = "s3cret%20p%40ss%3Aword"
SENDER = "bounces+1-abc-aaaaaaaaaaaaaaaa@example.org"


def data(n: int = 0) -> bytes:
    return f"From: a@example.org\r\nTo: b@example.com\r\nSubject: t{n}\r\n\r\nbody {n}\r\n".encode()


def pool(sink: Sink, **kw: object) -> SmtpPool:
    return SmtpPool(SmtpUrl.parse(sink.url()), rate=1000, **kw)  # type: ignore[arg-type]


# -- the URL ---------------------------------------------------------------------------


def test_urls() -> None:
    url = SmtpUrl.parse(f"smtp://digest:{QUOTED}@mail.example.org:587?starttls=1")
    assert (url.host, url.port, url.username, url.tls) == (
        "mail.example.org",
        587,
        "digest",
        "starttls",
    )
    assert url.password is not None and url.password.get_secret_value() == PASSWORD
    tls = SmtpUrl.parse(f"smtps://digest:{QUOTED}@mail.example.org")
    assert (tls.port, tls.tls) == (465, "implicit")
    plain = SmtpUrl.parse("smtp://127.0.0.1:2525?starttls=0&timeout=3")
    assert (plain.port, plain.tls, plain.timeout, plain.username) == (2525, "none", 3.0, None)
    assert SmtpUrl.parse("smtp://relay.local").tls == "opportunistic"


def test_the_password_never_shows() -> None:
    url = SmtpUrl.parse(f"smtp://digest:{QUOTED}@mail.example.org:587?starttls=1")
    shown = [str(url), repr(url), repr(SmtpPool(url))]
    assert shown[0] == "smtp://digest:***@mail.example.org:587?starttls=1"
    for text in shown:
        assert PASSWORD not in text and QUOTED not in text and "s3cret" not in text
    for bad in (
        f"smtp://digest:{QUOTED}@mail.example.org:notaport",
        f"http://digest:{QUOTED}@mail.example.org",
        f"smtp://digest:{QUOTED}@mail.example.org?starttls=maybe",
        f"smtp://digest:{QUOTED}@mail.example.org?verify=0",
        f"smtp://digest:{QUOTED}@mail.example.org?timeout=-1",
        f"smtps://digest:{QUOTED}@mail.example.org?starttls=1",
        f"smtp://:{QUOTED}@mail.example.org",
        f"smtp://digest:{QUOTED}@",
    ):
        with pytest.raises(SmtpUrlError) as caught:
            SmtpUrl.parse(bad)
        assert "s3cret" not in str(caught.value) and QUOTED not in str(caught.value)
        assert caught.value.__cause__ is None  # no chained error carrying the URL


# -- outcomes --------------------------------------------------------------------------


async def test_delivered_with_the_verp_sender(smtp_sink: Sink) -> None:
    async with pool(smtp_sink) as smtp:
        outcome = await smtp.send(data(), SENDER, "reader@example.com")
    assert outcome.sent and outcome.code == 250 and outcome.stage == "data"
    (got,) = smtp_sink.handler.received
    assert got.mail_from == SENDER and got.rcpt_tos == ["reader@example.com"]
    assert got.data.replace(b"\r\n", b"\n") == data().replace(b"\r\n", b"\n")


async def test_550_at_rcpt_is_a_bounce_after_one_try(smtp_sink: Sink) -> None:
    smtp_sink.handler.refuse_rcpt["gone@example.com"] = [
        "550 5.1.1 <gone@example.com>: no such user"
    ]
    async with pool(smtp_sink) as smtp:
        outcome = await smtp.send(data(), SENDER, "gone@example.com")
        assert outcome == Outcome("bounce", "rcpt", 550, "5.1.1 <gone@example.com>: no such user")
        assert outcome.enhanced == "5.1.1"
        # The connection was reset and carries the next message.
        assert (await smtp.send(data(1), SENDER, "reader@example.com")).sent
    assert smtp.stats.bounce == 1 and smtp.stats.sent == 1
    assert smtp_sink.handler.connections == 1
    assert [r.rcpt_tos for r in smtp_sink.handler.received] == [["reader@example.com"]]


async def test_451_is_a_retry_then_delivered(smtp_sink: Sink) -> None:
    smtp_sink.handler.refuse_rcpt["busy@example.com"] = ["451 4.7.1 greylisted, try later"]
    async with pool(smtp_sink) as smtp:
        first = await smtp.send(data(), SENDER, "busy@example.com")
        assert (first.status, first.stage, first.code) == ("retry", "rcpt", 451)
        assert "greylisted" in first.text and not first.uncertain
        assert (await smtp.send(data(), SENDER, "busy@example.com")).sent
    assert len(smtp_sink.handler.received) == 1


async def test_5xx_and_4xx_after_data(smtp_sink: Sink) -> None:
    smtp_sink.handler.refuse_data["spam@example.com"] = ["554 5.7.1 rejected as spam"]
    smtp_sink.handler.refuse_data["full@example.com"] = ["452 4.2.2 mailbox full"]
    async with pool(smtp_sink) as smtp:
        bounce = await smtp.send(data(), SENDER, "spam@example.com")
        retry = await smtp.send(data(), SENDER, "full@example.com")
    assert (bounce.status, bounce.stage, bounce.code) == ("bounce", "data", 554)
    assert (retry.status, retry.stage, retry.code) == ("retry", "data", 452)


async def test_no_server_is_a_retry_without_a_code() -> None:
    url = SmtpUrl.parse(f"smtp://digest:{QUOTED}@127.0.0.1:{free_port()}?starttls=0&timeout=2")
    async with SmtpPool(url, rate=1000) as smtp:
        outcome = await smtp.send(data(), SENDER, "reader@example.com")
    assert (outcome.status, outcome.stage, outcome.code) == ("retry", "connect", None)
    assert "***" in outcome.text and "s3cret" not in outcome.text


async def test_login_and_a_wrong_password(smtp_sink: Sink) -> None:
    good = SmtpUrl.parse(smtp_sink.url(f"digest:{QUOTED}@"))
    async with SmtpPool(good, rate=1000) as smtp:
        assert (await smtp.send(data(), SENDER, "reader@example.com")).sent
    bad = SmtpUrl.parse(smtp_sink.url("digest:wrong-password@"))
    async with SmtpPool(bad, rate=1000) as smtp:
        outcome = await smtp.send(data(), SENDER, "reader@example.com")
    assert (outcome.status, outcome.stage, outcome.code) == ("retry", "connect", 535), outcome
    assert "wrong-password" not in repr(outcome)


# -- connections -----------------------------------------------------------------------


async def test_connections_are_reused(smtp_sink: Sink) -> None:
    async with pool(smtp_sink, size=3) as smtp:
        for n in range(10):
            assert (await smtp.send(data(n), SENDER, f"r{n}@example.com")).sent
        assert smtp_sink.handler.connections == 1
        outcomes = await asyncio.gather(
            *(smtp.send(data(n), SENDER, f"c{n}@example.com") for n in range(30))
        )
    assert all(o.sent for o in outcomes)
    assert smtp_sink.handler.connections <= 3 == smtp.size
    assert smtp.stats.connections == smtp_sink.handler.connections
    assert len(smtp_sink.handler.received) == 40


async def test_connections_are_recycled_after_max_messages(smtp_sink: Sink) -> None:
    async with pool(smtp_sink, max_per_connection=4) as smtp:
        for n in range(10):
            assert (await smtp.send(data(n), SENDER, "r@example.com")).sent
    assert smtp_sink.handler.connections == 3


async def test_an_idle_connection_dropped_by_the_server_is_reopened(smtp_sink: Sink) -> None:
    smtp_sink.handler.drop_after_data = True
    async with pool(smtp_sink) as smtp:
        assert (await smtp.send(data(1), SENDER, "r@example.com")).sent
        assert await asyncio.to_thread(smtp_sink.handler.dropped.wait, 5)
        second = await smtp.send(data(2), SENDER, "r@example.com")
    assert second.sent, second
    assert smtp.stats.reconnects == 1 and smtp_sink.handler.connections == 2
    assert len(smtp_sink.handler.received) == 2


async def test_a_connection_lost_during_data_is_an_uncertain_retry(smtp_sink: Sink) -> None:
    smtp_sink.handler.drop_in_data = True
    async with pool(smtp_sink) as smtp:
        lost = await smtp.send(data(1), SENDER, "r@example.com")
        assert (lost.status, lost.stage, lost.code, lost.uncertain) == ("retry", "data", None, True)
        assert (await smtp.send(data(2), SENDER, "r@example.com")).sent
    assert smtp_sink.handler.connections == 2
    # The server did get the first one: the caller's at-least-once retry may duplicate it.
    assert len(smtp_sink.handler.received) == 2


async def test_a_send_cancelled_mid_data_leaves_no_half_used_connection(smtp_sink: Sink) -> None:
    smtp_sink.handler.stall_data = True
    async with pool(smtp_sink) as smtp:
        task = asyncio.create_task(smtp.send(data(1), SENDER, "r@example.com"))
        assert await asyncio.to_thread(smtp_sink.handler.in_data.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await smtp.send(data(2), SENDER, "r@example.com")).sent
    assert smtp_sink.handler.connections == 2


async def test_a_closed_pool_refuses_to_send(smtp_sink: Sink) -> None:
    smtp = pool(smtp_sink)
    await smtp.close()
    with pytest.raises(RuntimeError, match="closed"):
        await smtp.send(data(), SENDER, "r@example.com")


# -- rates -----------------------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


async def test_rate_limiter_spaces_messages_and_refunds() -> None:
    fake = FakeTime()
    limiter = RateLimiter(10, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        await limiter.acquire()
    assert fake.slept == [0.1, 0.1, 0.1, 0.1]
    limiter.refund()  # the last one got no answer from any server
    await limiter.acquire()
    assert fake.slept == [0.1, 0.1, 0.1, 0.1]
    fake.now += 10  # idle time is not saved up into a burst
    await limiter.acquire()
    await limiter.acquire()
    assert fake.slept[-1] == 0.1 and len(fake.slept) == 5


async def test_the_global_rate_holds_on_a_real_server(smtp_sink: Sink) -> None:
    async with SmtpPool(SmtpUrl.parse(smtp_sink.url()), rate=40, size=3) as smtp:
        start = time.monotonic()
        outcomes = await asyncio.gather(
            *(smtp.send(data(n), SENDER, f"r{n}@example.com") for n in range(20))
        )
        elapsed = time.monotonic() - start
    assert all(o.sent for o in outcomes)
    assert elapsed >= 19 / 40 * 0.95  # 20 messages at 40/s: 19 intervals


async def test_a_domain_limit_slows_that_domain_only(smtp_sink: Sink) -> None:
    url = SmtpUrl.parse(smtp_sink.url())
    done: list[str] = []

    async def send(recipient: str) -> None:
        assert (await smtp.send(data(), SENDER, recipient)).sent
        done.append(recipient.partition("@")[2])

    async with SmtpPool(url, rate=1000, size=2, domain_rates={"Slow.example": 5}) as smtp:
        start = time.monotonic()
        slow = [send(f"r{n}@slow.example") for n in range(4)]
        fast = [send(f"r{n}@fast.example") for n in range(6)]
        await asyncio.gather(*slow, *fast)
        elapsed = time.monotonic() - start
    assert elapsed >= 3 / 5 * 0.95  # 4 messages at 5/s: 3 intervals
    # Waiting slow-domain mail holds no connection: the other domain's mail went meanwhile.
    assert done.count("fast.example") == 6
    assert done[-3:] == ["slow.example"] * 3
