"""Start-up survives a passing Bot API failure: getMe, deleteWebhook/setWebhook,
setMyCommands and the first getUpdates answering a proxy's 502 page, a 500 or no
answer at all are retried (one log line each) and the daemon comes up; only a refused
token ends the start, as a configuration error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.logs import fields_of
from bot.run.daemon import Daemon
from bot.run.lease import held_lease
from bot.run.options import RunOptions, RunRefused
from bot.store.database import open_database
from tests.support.emulator import EmulatorClient
from tests.support.run import TEST_TOKEN, free_port

FAST = (0.05, 0.1, 0.2)


@asynccontextmanager
async def daemon_task(
    tmp_path: Path, emulator: EmulatorClient, **options: object
) -> AsyncIterator[tuple[Daemon, asyncio.Event, asyncio.Task[int]]]:
    settings = Settings.model_construct(
        token=SecretStr(TEST_TOKEN),
        api_base=emulator.base_url,
        db=tmp_path / "bot.sqlite3",
        tz="Asia/Shanghai",
        admins=frozenset(),
    )
    run_options = RunOptions(
        poll_seconds=0.2,
        polling_timeout=1,
        startup_backoff=FAST,
        **options,  # type: ignore[arg-type]
    )
    stop = asyncio.Event()
    async with (
        open_database(settings.db) as database,
        held_lease(database, standby=False, stop=stop) as lease,
    ):
        assert lease is not None
        daemon = Daemon(settings, run_options, database)
        task = asyncio.create_task(daemon.run(stop, lease))
        try:
            yield daemon, stop, task
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.shield(task), 20)


def retries(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (str(fields_of(r)["call"]), str(fields_of(r)["error"]))
        for r in caplog.records
        if r.getMessage() == "startup.retry"
    ]


async def until(cond: Callable[[], object], within: float = 15.0) -> None:
    async with asyncio.timeout(within):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("fault", ["502", "500", "drop"])
async def test_get_me_failing_at_start_up_is_retried(
    tmp_path: Path, emulator: EmulatorClient, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    caplog.set_level(logging.INFO)
    await emulator.fail_next("getMe", fault, count=3)
    async with daemon_task(tmp_path, emulator) as (daemon, stop, task):
        await asyncio.wait_for(daemon.ready.wait(), 20)
        assert [call for call, _ in retries(caplog)] == ["getMe"] * 3
        assert all("\n" not in error for _, error in retries(caplog))  # one line each
        # Polling works: a reader's /start is answered.
        await emulator.add_chat(7001)
        await emulator.send_update(7001, text="/start")
        assert await emulator.wait_messages(7001, 1, within=10)
        stop.set()
        assert await task == 0
    assert not [r for r in caplog.records if r.exc_info]  # no traceback anywhere


async def test_every_start_up_call_is_retried(
    tmp_path: Path, emulator: EmulatorClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await emulator.fail_next("getMe", "500")
    await emulator.fail_next("deleteWebhook", "502", count=2)
    await emulator.fail_next("setMyCommands", "502")
    await emulator.fail_next("getUpdates", "500", count=2)
    async with daemon_task(tmp_path, emulator) as (daemon, stop, task):
        await asyncio.wait_for(daemon.ready.wait(), 20)
        await emulator.add_chat(7002)
        await emulator.send_update(7002, text="/start")
        assert await emulator.wait_messages(7002, 1, within=15)
        assert await emulator._control("GET", "faults") == {}  # every fault was met
        assert daemon.health.mode == "polling" and not task.done()
        stop.set()
        assert await task == 0
    assert [call for call, _ in retries(caplog)] == ["getMe", "deleteWebhook", "deleteWebhook"]


async def test_set_webhook_failing_at_start_up_is_retried(
    tmp_path: Path, emulator: EmulatorClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await emulator.fail_next("setWebhook", "500", count=2)
    port = free_port()
    async with daemon_task(
        tmp_path,
        emulator,
        webhook_url=f"http://127.0.0.1:{port}/hook",
        listen=f"127.0.0.1:{port}",
    ) as (daemon, stop, task):
        await asyncio.wait_for(daemon.ready.wait(), 20)
        stop.set()
        assert await task == 0
    assert [call for call, _ in retries(caplog)] == ["setWebhook"] * 2


async def test_stop_while_retrying_ends_cleanly(
    tmp_path: Path, emulator: EmulatorClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await emulator.fail_next("getMe", "502", count=10_000)  # Telegram stays down
    async with daemon_task(tmp_path, emulator) as (daemon, stop, task):
        await until(lambda: len(retries(caplog)) >= 3)
        stop.set()
        assert await asyncio.wait_for(task, 5) == 0
    assert not daemon.ready.is_set()


async def test_a_refused_token_still_ends_the_start(
    tmp_path: Path, emulator: EmulatorClient
) -> None:
    await emulator.fail_next("getMe", "401")  # the token was revoked
    with pytest.raises(RunRefused, match="401"):
        async with daemon_task(tmp_path, emulator) as (_, _, task):
            await asyncio.wait_for(task, 10)
