"""Flood limits, blocked users, migrated groups and flaky networks lose nothing."""

from __future__ import annotations

import time

import pytest

from bot.delivery.ratelimit import Limits
from bot.delivery.retry import RetryPolicy
from bot.digest.model import Issue
from bot.render.digest import render_digest
from bot.store.chats import get_chat
from bot.store.topics import list_topics
from tests.support.delivery import DeliveryRig

FAST_RETRY = RetryPolicy(base=0.01, factor=2, cap=0.05, give_up_after_s=30)


@pytest.mark.slow
async def test_flood_answers_pause_the_whole_bot_and_nothing_is_lost(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    await delivery.emulator.configure(global_per_s=8, chat_per_s=0, group_per_min=0)
    readers = [await delivery.reader(500 + n) for n in range(24)]
    await delivery.publish(shapes_issue)
    started = time.monotonic()
    # The sender believes it may send 200/s: Telegram (the emulator) disagrees.
    tally = await delivery.drain(Limits(global_per_s=200, chat_per_s=200, group_per_min=10**6))
    elapsed = time.monotonic() - started
    stats = await delivery.emulator.stats()
    assert tally.floods == stats["answers"]["429"] > 0
    # Honouring retry_after keeps the 429s fewer than the messages (only sends already
    # in flight when the first 429 came back can be refused again); resending at once
    # would collect hundreds.
    assert tally.floods < len(readers)
    assert elapsed >= 1.0
    expected = [p.html for p in render_digest(shapes_issue)]
    for chat_id in readers:
        assert [m["text"] for m in await delivery.emulator.messages(chat_id)] == expected
    assert {row[3] for row in await delivery.rows()} == {"sent"}


async def test_sender_keeps_its_own_limits_without_being_told(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    await delivery.emulator.configure(global_per_s=20, chat_per_s=1, chat_burst=1)
    for n in range(12):
        await delivery.reader(600 + n)
    await delivery.publish(shapes_issue)
    tally = await delivery.drain(Limits(global_per_s=20, chat_per_s=1))
    stats = await delivery.emulator.stats()
    assert stats["answers"]["429"] == 0
    assert tally.sent == 12 * len(render_digest(shapes_issue))
    sent = await delivery.emulator.messages()
    assert not any("allow_paid_broadcast" in m["options"] for m in sent)  # 20/s is free


async def test_blocked_user_becomes_inactive_and_their_rows_are_cancelled(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    fan = await delivery.reader(701)
    gone = await delivery.reader(702)
    await delivery.emulator.update_chat(gone, blocked=True)
    await delivery.publish(shapes_issue)
    tally = await delivery.drain()
    chat = await get_chat(delivery.conn, gone)
    assert chat is not None and chat.status == "blocked"
    rows = await delivery.rows(gone)
    assert rows and {r[3] for r in rows} == {"cancelled"}
    assert {r[5] for r in rows} == {"Forbidden: bot was blocked by the user"}
    assert tally.cancelled == len(rows)
    assert len(await delivery.emulator.messages(fan)) == len(rows)
    # The next issue does not even try the blocked chat.
    calls = (await delivery.emulator.stats())["calls"]["sendMessage"]
    await delivery.publish(_later(shapes_issue))
    await delivery.drain()
    sends = (await delivery.emulator.stats())["calls"]["sendMessage"] - calls
    assert sends == len(await delivery.emulator.messages(fan)) - len(rows)


async def test_migrated_group_moves_with_its_topics_and_gets_the_digest_there(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    group = await delivery.reader(-800, "group", topics=["NPU"], language="en")
    await delivery.emulator.update_chat(group, migrate_to=-100800)
    await delivery.publish(shapes_issue)
    await delivery.drain()
    assert await get_chat(delivery.conn, group) is None
    moved = await get_chat(delivery.conn, -100800)
    assert moved is not None and moved.type == "supergroup" and moved.language == "en"
    assert [t.display for t in await list_topics(delivery.conn, -100800)] == ["NPU"]
    expected = render_digest(shapes_issue, lang="en", include=["npu"])  # named "AI accelerator"
    got = await delivery.emulator.messages(-100800)
    assert [m["text"] for m in got] == [p.html for p in expected]
    assert {r[3] for r in await delivery.rows(-100800)} == {"sent"}


async def test_server_errors_and_dropped_connections_are_retried(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    readers = [await delivery.reader(900 + n) for n in range(10)]
    await delivery.emulator.configure(p5xx=0.25, pdrop=0.15, seed=7)
    await delivery.publish(shapes_issue)
    tally = await delivery.drain(policy=FAST_RETRY)
    stats = await delivery.emulator.stats()
    assert tally.retried > 0 and stats["answers"]["5xx"] > 0
    expected = [p.html for p in render_digest(shapes_issue)]
    for chat_id in readers:
        assert [m["text"] for m in await delivery.emulator.messages(chat_id)] == expected
    assert {r[3] for r in await delivery.rows()} == {"sent"}


async def test_a_rejected_part_is_failed_with_telegrams_reason_and_retry_requeues(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    from bot.store.delivery_report import requeue_failed

    reader = await delivery.reader(950)
    await delivery.publish(shapes_issue)
    # Break one stored part the way a bad template would: unbalanced HTML.
    await delivery.conn.execute(
        "UPDATE outbox_texts SET html = html || '<b>' WHERE id ="
        " (SELECT text_id FROM outbox WHERE chat_id = ? AND part_no = 0)",
        (reader,),
    )
    tally = await delivery.drain()
    rows = await delivery.rows(reader)
    assert rows[0][3] == "failed"
    assert str(rows[0][5]).startswith("Bad Request: can't parse entities")
    assert tally.failed == 1
    assert await requeue_failed(delivery.conn) == 1
    assert (await delivery.rows(reader))[0][3] == "pending"


def _later(issue: Issue) -> Issue:
    from dataclasses import replace

    return replace(issue, date="2023-05-01", title="嵌入式AI简报 (2023-05-01)")


async def test_a_chat_that_unsubscribes_before_delivery_gets_nothing(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    stays = await delivery.reader(961)
    leaves = await delivery.reader(962)
    await delivery.publish(shapes_issue)
    await delivery.conn.execute("UPDATE chats SET status = 'paused' WHERE id = ?", (leaves,))
    await delivery.drain()
    assert await delivery.emulator.messages(leaves) == []
    assert {(r[3], r[5]) for r in await delivery.rows(leaves)} == {("cancelled", "chat is paused")}
    assert len(await delivery.emulator.messages(stays)) == len(render_digest(shapes_issue))


async def test_timeouts_are_retried_then_failed_with_the_reason_and_requeued(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    from bot.store.delivery_report import requeue_failed

    reader = await delivery.reader(970)
    await delivery.publish(shapes_issue)
    await delivery.emulator.configure(latency_ms=400)
    policy = RetryPolicy(base=0.01, factor=2, cap=0.02, give_up_after_s=0.3)
    tally = await delivery.drain(policy=policy, request_timeout=0.1, uncertain_delay_s=0.01)
    rows = await delivery.rows(reader)
    # A timed-out send may have arrived: each is an uncertain send, sent again (counted).
    assert tally.uncertain >= 2 * len(rows) and tally.resent >= len(rows)
    assert tally.failed == len(rows)
    assert {(r[3], r[5]) for r in rows} == {("failed", "network error: Request timeout error")}
    await delivery.emulator.configure(latency_ms=0)
    assert await requeue_failed(delivery.conn) == len(rows)
    await delivery.drain()
    assert {r[3] for r in await delivery.rows(reader)} == {"sent"}
    # Timed-out requests may still have reached Telegram: those are the in-flight
    # duplicates the design allows; every part arrived at least once.
    texts = [m["text"] for m in await delivery.emulator.messages(reader)]
    assert set(texts) == {p.html for p in render_digest(shapes_issue)}


async def test_server_errors_are_retried_for_the_whole_span_with_telegrams_reason(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    """Telegram down (every answer a 500 or an nginx 502 page): rows are retried until
    the policy's time span is over — not after a count of tries — and fail with what
    the answer said, not aiogram's "Failed to decode object"."""
    import time

    readers = [await delivery.reader(980 + n) for n in range(3)]
    await delivery.emulator.configure(p5xx=1.0, seed=3)
    await delivery.publish(shapes_issue)
    policy = RetryPolicy(base=0.02, factor=2, cap=0.1, give_up_after_s=1.5)
    started = time.monotonic()
    tally = await delivery.drain(policy=policy)
    took = time.monotonic() - started
    rows = await delivery.rows()
    assert len(rows) == len(readers) and tally.failed == len(rows) and tally.sent == 0
    assert took >= 1.5
    assert tally.retried > 8 * len(rows)  # the old rule gave up after 8 tries
    reasons = {r[5] for r in rows}
    assert reasons <= {
        "Internal Server Error",
        "502 Bad Gateway (HTTP 502, not a Bot API answer)",
    }, reasons
    stats = await delivery.emulator.stats()
    assert stats["answers"]["5xx"] > 8 * len(rows)


def test_the_retry_span_is_a_setting_of_an_hour_by_default() -> None:
    from bot.config import Settings

    assert RetryPolicy().give_up_after_s == 3600
    settings = Settings(_env_file=None, retry_for_minutes=5)  # type: ignore[call-arg]
    assert RetryPolicy.for_minutes(settings.retry_for_minutes).give_up_after_s == 300
    assert Settings(_env_file=None).retry_for_minutes == 60  # type: ignore[call-arg]


async def test_a_429_pauses_only_its_chat_while_the_others_are_served(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    from dataclasses import replace

    readers = [await delivery.reader(800 + n) for n in range(8)]
    issues = [replace(shapes_issue, date=f"2023-05-{day:02d}") for day in range(1, 5)]
    for issue in issues:
        await delivery.publish(issue)
    # The first sendMessage is answered 429 with a retry_after of 1-3 s.
    await delivery.emulator.fail_next("sendMessage", "429")
    tally = await delivery.drain()
    assert tally.floods == 1
    async with delivery.conn.execute(
        "SELECT chat_id FROM outbox WHERE attempts > 1"
    ) as cur:  # the refused send is the one made twice
        [(paused,)] = await cur.fetchall()
    # In the order Telegram received them: every other chat got all four digests while
    # the refused chat waited out its retry_after (the old sender paused every chat, so
    # the others got at most the part already in flight).
    order = [m["chat_id"] for m in await delivery.emulator.messages()]
    first_of_paused = order.index(paused)
    others = [c for c in readers if c != paused]
    per_chat = order.count(paused)
    assert per_chat == sum(len(render_digest(i)) for i in issues) >= 4
    for chat_id in others:
        assert order[:first_of_paused].count(chat_id) == per_chat, chat_id
    assert {row[3] for row in await delivery.rows()} == {"sent"}
    assert (await delivery.emulator.stats())["violations"] == []
