"""A send whose answer is lost after Telegram took it (the emulator's ``drop_after``)
is *uncertain*: it is recorded so, resent only after a delay, and counted as a
possible duplicate — never hidden. An edit whose answer is lost is simply edited
again: Telegram answers "message is not modified" and nothing is duplicated."""

from __future__ import annotations

from collections import Counter

import aiohttp
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SendMessage

from bot.delivery.errors import Kind, classify
from bot.render.digest import render_digest
from bot.store.deliveries import count_resent
from tests.support.delivery import DeliveryRig
from tests.support.store import make_entry, make_issue

DELAY = 0.3


def _issue(summary: str = "摘要") -> object:
    return make_issue(
        "2024-03-05",
        make_entry("量化新方法", url="https://e.example/1", summary=summary),
        make_entry("端侧推理", url="https://e.example/2", summary=summary),
    )


async def _uncertain_rows(rig: DeliveryRig) -> list[tuple[int, int, str | None]]:
    async with rig.conn.execute(
        "SELECT part_no, resent, uncertain_at FROM outbox ORDER BY part_no"
    ) as cur:
        return [(int(r[0]), int(r[1]), r[2]) for r in await cur.fetchall()]


async def test_a_lost_answer_is_resent_after_a_delay_and_counted(delivery: DeliveryRig) -> None:
    chat = await delivery.reader(8101)
    issue = _issue()
    await delivery.publish(issue)  # type: ignore[arg-type]
    parts = len(render_digest(issue))  # type: ignore[arg-type]
    await delivery.emulator.fail_next("sendMessage", "drop_after")  # the first send
    tally = await delivery.drain(uncertain_delay_s=DELAY)
    assert (tally.uncertain, tally.resent) == (1, 1)
    assert (await delivery.emulator.stats())["lost_answers"] == 1
    # Telegram got the first part twice: the duplicate is counted, not hidden.
    texts = Counter(m["text"] for m in await delivery.emulator.messages(chat))
    assert sum(texts.values()) == parts + 1 and max(texts.values()) == 2
    assert {r[3] for r in await delivery.rows()} == {"sent"}
    rows = await _uncertain_rows(delivery)
    assert [resent for _, resent, _ in rows] == [1] + [0] * (parts - 1)
    assert all(at is None for _, _, at in rows)  # settled once sent
    assert await count_resent(delivery.conn) == 1


async def test_an_uncertain_send_waits_before_it_is_resent(delivery: DeliveryRig) -> None:
    chat = await delivery.reader(8102)
    await delivery.publish(_issue())  # type: ignore[arg-type]
    await delivery.emulator.fail_next("sendMessage", "drop_after")
    await delivery.drain(uncertain_delay_s=1.5)
    first, second = [m for m in await delivery.emulator.messages(chat)][:2]
    assert first["text"] == second["text"]  # the resend of the part whose answer was lost
    assert second["date"] - first["date"] >= 1  # not at once: after the delay


async def test_an_edit_whose_answer_was_lost_is_not_duplicated(delivery: DeliveryRig) -> None:
    chat = await delivery.reader(8103)
    await delivery.publish(_issue("第一版摘要"))  # type: ignore[arg-type]
    await delivery.drain()
    sent = len(await delivery.emulator.messages(chat))
    revised = _issue("第二版摘要，改了")
    await delivery.publish(revised, "revised")  # type: ignore[arg-type]
    await delivery.emulator.fail_next("editMessageText", "drop_after", count=1)
    tally = await delivery.drain(uncertain_delay_s=DELAY)
    messages = await delivery.emulator.messages(chat)
    assert len(messages) == sent  # edited in place, nothing sent twice
    assert all("第二版" in m["text"] for m in messages if "摘要" in m["text"])
    # The lost edit had landed: editing again got "message is not modified" — done.
    assert tally.uncertain == 0 and tally.retried == 1
    assert {r[3] for r in await delivery.rows()} == {"sent"}
    assert await count_resent(delivery.conn) == 0


def _network_error(cause: BaseException) -> TelegramNetworkError:
    method = SendMessage(chat_id=1, text="x")
    try:
        raise TelegramNetworkError(method=method, message=str(cause)) from cause
    except TelegramNetworkError as exc:
        return exc


def test_only_a_call_that_went_out_is_uncertain() -> None:
    dropped = classify(_network_error(aiohttp.ServerDisconnectedError()))
    timed_out = classify(_network_error(TimeoutError()))
    refused = classify(
        _network_error(
            aiohttp.ClientConnectorError(
                aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None),
                OSError(111, "Connection refused"),
            )
        )
    )
    assert dropped is not None and dropped.kind is Kind.TRANSIENT and dropped.uncertain
    assert timed_out is not None and timed_out.uncertain
    assert refused is not None and refused.kind is Kind.TRANSIENT and not refused.uncertain


async def test_with_random_lost_answers_every_duplicate_is_a_counted_resend(
    delivery: DeliveryRig,
) -> None:
    chats = [await delivery.reader(8200 + n) for n in range(20)]
    issue = _issue()
    await delivery.publish(issue)  # type: ignore[arg-type]
    parts = len(render_digest(issue))  # type: ignore[arg-type]
    await delivery.emulator.configure(pdrop_after=0.1, seed=5)
    tally = await delivery.drain(uncertain_delay_s=DELAY)
    await delivery.emulator.configure(pdrop_after=0.0)
    lost_answers = (await delivery.emulator.stats())["lost_answers"]
    got = Counter(m["chat_id"] for m in await delivery.emulator.messages())
    assert all(got[chat] >= parts for chat in chats)  # nothing lost
    duplicates = sum(got.values()) - len(chats) * parts
    assert lost_answers > 0 and duplicates == lost_answers  # one per lost answer, no more
    assert await count_resent(delivery.conn) == tally.resent == duplicates
    assert {r[3] for r in await delivery.rows()} == {"sent"}
