"""Flood limits (429 with retry_after) and seeded fault injection."""

from __future__ import annotations

import aiohttp
import pytest

from bot.emulator.config import EmulatorConfig
from bot.emulator.flood import FloodLimiter
from tests.support.emulator import EmulatorClient


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_per_chat_allows_a_short_burst_then_one_per_second() -> None:
    clock = FakeClock()
    limiter = FloodLimiter(EmulatorConfig(global_per_s=0, chat_per_s=1, chat_burst=3), clock)
    assert [limiter.check(1, False) for _ in range(4)] == [0, 0, 0, 1]
    assert limiter.check(2, False) == 0  # other chats are not affected
    clock.now += 1.0
    assert [limiter.check(1, False) for _ in range(2)] == [0, 1]


def test_global_and_group_limits() -> None:
    clock = FakeClock()
    limiter = FloodLimiter(EmulatorConfig(global_per_s=30, chat_per_s=0, group_per_min=20), clock)
    assert all(limiter.check(-7, True) == 0 for _ in range(20))
    assert limiter.check(-7, True) == 3  # a token every 3 s at 20/min
    assert all(limiter.check(chat, False) == 0 for chat in range(10))
    assert limiter.check(99, False) == 1  # 30 per second spent
    clock.now += 3.0
    assert limiter.check(-7, True) == 0


async def test_429_answer_has_retry_after_and_is_not_a_violation(emulator: EmulatorClient) -> None:
    await emulator.add_chat(1)
    await emulator.configure(chat_per_s=1, chat_burst=1)
    assert (await emulator.call("sendMessage", chat_id=1, text="a"))[0] == 200
    status, body = await emulator.call("sendMessage", chat_id=1, text="b")
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    stats = await emulator.stats()
    assert stats["answers"]["429"] == 1 and stats["answers"]["4xx"] == 0
    assert stats["violations"] == []
    assert len(await emulator.messages(1)) == 1


async def faults_seen(emulator: EmulatorClient, calls: int) -> list[int]:
    statuses = []
    for i in range(calls):
        try:
            status, _ = await emulator.call("sendMessage", chat_id=1, text=f"m{i}")
        except aiohttp.ContentTypeError:
            status = 502  # nginx's HTML page, like Telegram's front
        except aiohttp.ClientError:
            status = 0  # dropped connection
        statuses.append(status)
    return statuses


async def test_faults_are_reproducible_with_the_seed(emulator: EmulatorClient) -> None:
    await emulator.add_chat(1)
    await emulator.configure(p429=0.2, p5xx=0.2, pdrop=0.1, seed=7)
    first = await faults_seen(emulator, 40)
    assert {200, 429, 500, 502, 0} <= set(first)
    await emulator.configure(seed=8)
    await emulator.configure(seed=7)
    assert await faults_seen(emulator, 40) == first
    stats = await emulator.stats()
    assert stats["answers"]["5xx"] == 2 * sum(s in (500, 502) for s in first)
    assert len(await emulator.messages(1)) == 2 * first.count(200)


async def test_latency_is_added(emulator: EmulatorClient) -> None:
    import time

    await emulator.configure(latency_ms=150)
    started = time.monotonic()
    await emulator.call("getMe")
    assert time.monotonic() - started >= 0.14


@pytest.mark.parametrize(
    "changes",
    [{"p429": 1.5}, {"speed": 1}, {"global_per_s": -1}, {"seed": 1.5}, {"latency_ms": "x"}],
)
async def test_bad_config_is_refused_whole(
    emulator: EmulatorClient, changes: dict[str, object]
) -> None:
    before = await emulator.stats()
    async with emulator.session.post(
        f"{emulator.base_url}/_emu/config", json={"chat_per_s": 5, **changes}
    ) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]
    async with emulator.session.get(f"{emulator.base_url}/_emu/config") as resp:
        assert (await resp.json())["chat_per_s"] == 0
    assert await emulator.stats() == before


async def test_pdrop_after_carries_the_call_out_then_loses_the_answer(
    emulator: EmulatorClient,
) -> None:
    await emulator.add_chat(1)
    await emulator.configure(pdrop_after=1.0)
    with pytest.raises(aiohttp.ClientError):
        await emulator.call("sendMessage", chat_id=1, text="lost answer")
    await emulator.configure(pdrop_after=0.0)
    [message] = await emulator.messages(1)  # Telegram has it: only the answer was lost
    assert message["text"] == "lost answer"
    assert (await emulator.stats())["lost_answers"] == 1


async def test_scripted_faults_hit_the_next_calls_of_one_method(
    emulator: EmulatorClient,
) -> None:
    await emulator.fail_next("getMe", "502", count=2)
    await emulator.fail_next("getUpdates", "500")  # no random faults there, but scripted ones
    assert await emulator._control("GET", "faults") == {
        "getme": ["502", "502"],
        "getupdates": ["500"],
    }
    for _ in range(2):
        with pytest.raises(aiohttp.ContentTypeError):  # nginx's HTML page
            await emulator.call("getMe")
    assert (await emulator.call("getMe"))[0] == 200
    assert (await emulator.call("getUpdates", timeout=0))[0] == 500
    assert (await emulator.call("getUpdates", timeout=0))[0] == 200
    await emulator.fail_next("sendMessage", "drop_after", count=1)
    await emulator.fail_next("sendMessage", "drop", count=0)  # count 0 clears
    assert await emulator._control("GET", "faults") == {}


@pytest.mark.parametrize(
    "body",
    [
        {"method": "getMe", "fault": "418"},
        {"fault": "500"},
        {"method": "getMe", "fault": "500", "count": -1},
    ],
)
async def test_bad_fault_scripts_are_refused(
    emulator: EmulatorClient, body: dict[str, object]
) -> None:
    async with emulator.session.post(f"{emulator.base_url}/_emu/faults", json=body) as resp:
        assert resp.status == 400
