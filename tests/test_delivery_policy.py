"""Flood limits, backoff and the meaning of Telegram's errors, without the network."""

from __future__ import annotations

import json
import random

import pytest

from bot.delivery.ratelimit import Limits, RateLimiter, TokenBucket
from bot.delivery.retry import RetryPolicy


def test_bucket_paces_at_its_rate() -> None:
    bucket = TokenBucket(rate=10, capacity=1)
    now, sent = 0.0, 0
    while now < 2.0:
        if bucket.wait_time(now) == 0:
            bucket.take(now)
            sent += 1
        now += 0.001
    assert 20 <= sent <= 21


def test_bucket_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=0, capacity=1)


def test_global_limit_never_exceeded_in_any_second() -> None:
    limiter = RateLimiter(Limits(global_per_s=30, chat_per_s=1000, group_per_min=10**6))
    stamps: list[float] = []
    now = 0.0
    chat = 0
    while now < 3.0:
        if limiter.global_wait(now) == 0 and limiter.chat_wait(chat, now) == 0:
            limiter.take(chat, now)
            stamps.append(now)
            chat += 1
        now += 0.0005
    worst = max(sum(1 for s in stamps if t <= s < t + 1.0) for t in stamps)
    assert worst <= 31
    assert len(stamps) >= 89


def test_one_message_per_second_per_chat() -> None:
    limiter = RateLimiter(Limits(global_per_s=1000))
    limiter.take(42, 0.0)
    assert limiter.chat_wait(42, 0.0) == pytest.approx(1.0)
    assert limiter.chat_wait(43, 0.0) == 0
    assert limiter.chat_wait(42, 1.0) == 0


def test_groups_get_twenty_per_minute() -> None:
    limiter = RateLimiter(Limits(global_per_s=1000, chat_per_s=1000, group_per_min=20))
    now, sent = 0.0, 0
    while now < 60.0:
        if limiter.chat_wait(-100, now) == 0:
            limiter.take(-100, now)
            sent += 1
        now += 0.01
    # a small burst at the start, then 20 per minute
    assert 20 <= sent <= 25
    # private chats are not group-limited
    assert limiter.chat_wait(100, now) == 0


def test_pause_after_429_stops_every_chat() -> None:
    limiter = RateLimiter(Limits())
    limiter.pause(10.0, 5)
    assert limiter.global_wait(11.0) == pytest.approx(4.0)
    assert limiter.chat_wait(7, 11.0) == pytest.approx(4.0)
    limiter.pause(11.0, 1)  # a shorter pause never shortens a longer one
    assert limiter.paused_for(12.0) == pytest.approx(3.0)
    assert limiter.global_wait(15.0) == 0


def test_idle_buckets_are_forgotten() -> None:
    limiter = RateLimiter(Limits(global_per_s=1000))
    for chat in range(1000):
        limiter.take(chat, 0.0)
    assert limiter.tracked() == 1000
    limiter.forget_idle(5.0)
    assert limiter.tracked() == 0


def test_paid_broadcast_only_above_thirty() -> None:
    assert not Limits(global_per_s=30).paid_broadcast
    assert Limits(global_per_s=31).paid_broadcast


def test_backoff_grows_is_jittered_and_bounded() -> None:
    policy = RetryPolicy(base=0.5, factor=2, cap=8, give_up_after_s=60)
    rng = random.Random(1)
    delays = [policy.delay(n, rng) for n in range(1, 10)]
    for n, d in enumerate(delays, start=1):
        assert policy.ceiling(n) / 2 <= d <= policy.ceiling(n)
    assert policy.ceiling(1) == 0.5
    assert policy.ceiling(4) == 4
    assert policy.ceiling(1000) == 8
    assert len({round(policy.delay(3, rng), 6) for _ in range(20)}) > 1
    assert not policy.gives_up(59.9)  # a time span, however many tries it took
    assert policy.gives_up(60)


def _answer(status: int, body: dict[str, object]) -> BaseException:
    """Run aiogram's own response check on a Telegram-shaped answer."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.methods import SendMessage

    session = AiohttpSession()
    bot = Bot("123:abc", session=session)
    try:
        session.check_response(bot, SendMessage(chat_id=5, text="x"), status, json.dumps(body))
    except Exception as exc:  # the exception aiogram raises is what we classify
        return exc
    raise AssertionError("aiogram accepted an error answer")


FLOOD = "Too Many Requests: retry after 7"
UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
BLOCKED = "Forbidden: bot was blocked by the user"
SAME = "Bad Request: message is not modified: specified new message content"
LONG = "Bad Request: message is too long"


@pytest.mark.parametrize(
    ("status", "description", "parameters", "kind"),
    [
        (429, FLOOD, {"retry_after": 7}, "flood"),
        (400, UPGRADED, {"migrate_to_chat_id": -1001}, "migrated"),
        (403, BLOCKED, None, "gone"),
        (400, SAME, None, "not_modified"),
        (400, LONG, None, "rejected"),
        (502, "Bad Gateway", None, "transient"),
        (401, "Unauthorized", None, "fatal"),
        (404, "Not Found: method not found", None, "rejected"),
    ],
)
def test_telegram_answers_are_classified(
    status: int, description: str, parameters: dict[str, int] | None, kind: str
) -> None:
    from bot.delivery.errors import classify

    body: dict[str, object] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    failure = classify(_answer(status, body))
    assert failure is not None
    assert failure.kind.value == kind
    assert failure.reason == description
    if kind == "flood":
        assert failure.retry_after == 7
    if kind == "migrated":
        assert failure.migrate_to == -1001


def test_network_failures_are_transient_and_other_errors_are_not_ours() -> None:
    from aiogram.exceptions import TelegramNetworkError
    from aiogram.methods import SendMessage

    from bot.delivery.errors import Kind, classify

    exc = TelegramNetworkError(SendMessage(chat_id=1, text="x"), "ServerDisconnectedError")
    failure = classify(exc)
    assert failure is not None and failure.kind is Kind.TRANSIENT
    assert classify(ValueError("x")) is None
