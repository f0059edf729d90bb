"""`bot run` as a real process against the emulator: scheduled publishes, one instance
per database, webhook secrets, /healthz, SIGTERM, and a SIGKILL followed by a restart.

Daemons take seconds to start (aiogram's import), so the module starts them all at
once: a polling daemon with /healthz, a standby on the same database, and a webhook
daemon on a second emulator.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.run import (
    ROOT,
    TEST_TOKEN,
    DaemonProcess,
    EmulatorProcess,
    clean_env,
    free_port,
    http,
    wait_until,
)

pytestmark = pytest.mark.slow

SEED = ROOT / "seeds" / "2021-01-05.md"
TZ = "Asia/Shanghai"
SECRET = "webhook-secret-for-tests"
MINI_ISSUE = """# 嵌入式AI简报 ({date})

**关注模型压缩、低比特量化、移动端推理加速优化、部署**

> 导读：本次2条。

## 业界新闻

- [某公司发布端侧量化推理芯片 | 测试来源](https://example.org/news/1)
摘要：一款支持INT8量化的端侧芯片。

## 开源项目

- [NCNN 新版本发布 | GitHub](https://example.org/ncnn)
摘要：NCNN 推理框架更新，ARM 上更快。
"""


@dataclass
class Cluster:
    workdir: Path
    emulator: EmulatorProcess
    env: dict[str, str]
    poller: DaemonProcess
    standby: DaemonProcess
    health_port: int
    hook_emulator: EmulatorProcess
    hook: DaemonProcess
    hook_port: int

    def publish(self, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "publish", str(path), *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=60,
        )


def at(seconds: float) -> tuple[str, float]:
    """A publish time ``seconds`` from now as typed by a user in BOT_TZ, and its epoch."""
    moment = (datetime.now(ZoneInfo(TZ)) + timedelta(seconds=seconds)).replace(microsecond=0)
    return moment.strftime("%Y-%m-%d %H:%M:%S"), moment.timestamp()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("run")
    emulator = EmulatorProcess(workdir / "emulator.log")
    hook_emulator = EmulatorProcess(workdir / "hook-emulator.log")
    env = clean_env(
        BOT_TOKEN=TEST_TOKEN,
        BOT_API_BASE=emulator.base_url,
        BOT_TZ=TZ,
        BOT_DB=str(workdir / "bot.sqlite3"),
    )
    health_port, hook_port = free_port(), free_port()
    poller = DaemonProcess("poller", workdir, env, "--init", "--health-port", str(health_port))
    hook_env = clean_env(
        BOT_TOKEN=TEST_TOKEN,
        BOT_API_BASE=hook_emulator.base_url,
        BOT_TZ=TZ,
        BOT_DB=str(workdir / "hook.sqlite3"),
        BOT_WEBHOOK_SECRET=SECRET,
        BOT_LOG_FORMAT="json",
    )
    hook = DaemonProcess(
        "hook",
        workdir,
        hook_env,
        "--init",
        "--webhook",
        f"http://127.0.0.1:{hook_port}/telegram/updates",
        "--listen",
        f"127.0.0.1:{hook_port}",
    )
    poller.wait_log("event=lease.acquired")  # taken before the daemon's slow imports
    standby = DaemonProcess("standby", workdir, env, "--standby")
    standby.wait_log("event=lease.standby")
    poller.wait_log("event=run.started")
    hook.wait_log('"event": "run.started"')
    cluster = Cluster(
        workdir, emulator, env, poller, standby, health_port, hook_emulator, hook, hook_port
    )
    yield cluster
    for daemon in (poller, standby, hook):
        daemon.stop()
    emulator.stop()
    hook_emulator.stop()
    for daemon in (poller, standby, hook):
        assert TEST_TOKEN not in daemon.text() and "TEST-token" not in daemon.text()


def subscribe(emulator: EmulatorProcess, chat_id: int, *commands: str) -> None:
    emulator.add_chat(chat_id, "private", language_code="zh")
    for n, command in enumerate(("/start", *commands), start=1):
        emulator.say(chat_id, command)
        emulator.wait_messages(chat_id, n)  # each command is answered before the next


def digest_parts(emulator: EmulatorProcess, chat_id: int, date: str) -> list[str]:
    return [m["plain"] for m in emulator.messages(chat_id) if date in m["plain"].split("\n")[0]]


def test_publish_scheduled_in_two_seconds_arrives_once(cluster: Cluster) -> None:
    emu = cluster.emulator
    subscribe(emu, 101)
    subscribe(emu, 102, "/topic NCNN")
    when, due = at(2)
    out = cluster.publish(SEED, "--force", "--at", when)
    assert out.returncode == 0, out.stderr
    assert "scheduled #" in out.stdout and "is up and will publish it then" in out.stdout
    assert "count-mismatch" in out.stderr  # lint's findings are shown when scheduling
    everyone = wait_until(
        lambda: digest_parts(emu, 101, "2021-01-05"), 20, "the digest in chat 101"
    )
    assert time.time() >= due  # not before its time
    assert everyone
    filtered = wait_until(lambda: digest_parts(emu, 102, "2021-01-05"), 20, "chat 102's digest")
    assert "按关注筛选：NCNN" in filtered[0] and "NCNN" in "\n".join(filtered)
    # The summary is logged once no row of the issue is pending or being sent: every send
    # has finished, so a duplicate would be in the emulator by now.
    log = cluster.poller.wait_log("event=delivery.summary issue=2021-01-05", within=30)
    assert "event=publish.fired" in log
    for chat in (101, 102):
        texts = [m["plain"] for m in emu.messages(chat)]
        assert max(Counter(texts).values()) == 1, f"chat {chat} got a message twice"
    assert "按关注筛选" not in digest_parts(emu, 101, "2021-01-05")[0]  # all entries for 101
    assert "publish.fired" not in cluster.standby.text()  # the standby sent nothing


def test_plain_publish_is_picked_up_by_the_running_daemon(cluster: Cluster) -> None:
    emu = cluster.emulator
    subscribe(emu, 111)
    issue = cluster.workdir / "2021-02-02.md"
    issue.write_text(MINI_ISSUE.format(date="2021-02-02"), encoding="utf-8")
    out = cluster.publish(issue)
    assert out.returncode == 0, out.stderr
    published = time.monotonic()
    parts = wait_until(lambda: digest_parts(emu, 111, "2021-02-02"), 10, "the new issue")
    assert time.monotonic() - published < 5  # within seconds, no restart
    assert "NCNN 新版本发布" in parts[0]


def test_healthz_reports_database_polling_and_deliveries(cluster: Cluster) -> None:
    url = f"http://127.0.0.1:{cluster.health_port}/healthz"
    status, body = http("GET", url)
    assert status == 200 and body["ok"] is True and body["db"] == "ok"
    assert body["mode"] == "polling"
    assert isinstance(body["pending_deliveries"], int) and body["failed_deliveries"] == 0
    cluster.emulator.add_chat(150, "private")
    cluster.emulator.say(150, "/help")
    cluster.emulator.wait_messages(150, 1)
    assert http("GET", url)[1]["last_update"] is not None


def test_second_run_on_the_same_database_refuses(cluster: Cluster) -> None:
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=cluster.env,
        cwd=cluster.workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "another bot run" in out.stderr and "--standby" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert time.monotonic() - started < 8  # refused before the daemon's slow imports


def test_webhook_accepts_the_secret_and_refuses_others(cluster: Cluster) -> None:
    emu = cluster.hook_emulator
    status, info = http("POST", f"{emu.base_url}/bot{TEST_TOKEN}/getWebhookInfo", {})
    assert status == 200
    assert info["result"]["url"] == f"http://127.0.0.1:{cluster.hook_port}/telegram/updates"
    emu.add_chat(201, "private")
    emu.say(201, "/start")  # delivered by the emulator to the webhook, with the secret
    assert emu.wait_messages(201, 1)[0]["plain"]
    hook_url = f"http://127.0.0.1:{cluster.hook_port}/telegram/updates"
    forged = {
        "update_id": 999,
        "message": {
            "message_id": 5,
            "date": int(time.time()),
            "text": "/start",
            "chat": {"id": 202, "type": "private", "first_name": "Eve"},
            "from": {"id": 202, "is_bot": False, "first_name": "Eve"},
        },
    }
    emu.add_chat(202, "private")
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
        assert http("POST", hook_url, forged, headers)[0] == 401
    # A genuine /start from the same chat, sent after the forged ones, is the witness:
    # by the time it is answered, a forgery the daemon had accepted (earlier) would have
    # been logged, and its answer would be a second message in the chat.
    emu.say(202, "/start")
    emu.wait_messages(202, 1)
    updates = [json.loads(line) for line in cluster.hook.text().splitlines()]
    ids = [u["id"] for u in updates if u.get("event") == "update"]
    assert ids and 999 not in ids  # the forged /start never reached a handler
    assert len(emu.messages(202)) == 1
    status, health = http("GET", f"http://127.0.0.1:{cluster.hook_port}/healthz")
    assert status == 200 and health["mode"] == "webhook"
    # --log-format json (BOT_LOG_FORMAT): one JSON object per line, the update logged.
    lines = [json.loads(line) for line in cluster.hook.text().splitlines()]
    assert any(line.get("event") == "update" for line in lines)


def test_sigterm_standby_takeover_and_restart_after_sigkill(cluster: Cluster) -> None:
    emu = cluster.emulator
    subscribe(emu, 301)
    # SIGTERM: the active daemon stops cleanly and fast, the standby takes over.
    stopping = time.monotonic()
    cluster.poller.signal(signal.SIGTERM)
    assert cluster.poller.proc.wait(10) == 0
    assert time.monotonic() - stopping < 10
    assert "event=run.stopped exit=0" in cluster.poller.text()
    cluster.standby.wait_log("event=run.started", within=20)
    # A publish is due in 8 s; the daemon is killed before it fires and restarted.
    issue = cluster.workdir / "2021-01-19.md"
    issue.write_text(MINI_ISSUE.format(date="2021-01-19"), encoding="utf-8")
    out = cluster.publish(issue, "--at", at(8)[0])
    assert out.returncode == 0, out.stderr
    cluster.standby.signal(signal.SIGKILL)
    cluster.standby.proc.wait(5)
    restarted = DaemonProcess("restarted", cluster.workdir, cluster.env)
    try:
        log = restarted.wait_log("event=publish.fired", within=40)
        assert "lease.taken_over" in log  # the killed holder did not lock it out
        wait_until(lambda: digest_parts(emu, 301, "2021-01-19"), 20, "the restarted publish")
        restarted.wait_log("event=delivery.summary issue=2021-01-19", within=30)  # all sent
        parts = digest_parts(emu, 301, "2021-01-19")
        assert len(parts) == len(set(parts)) == 1  # delivered once
        assert digest_parts(emu, 101, "2021-01-19") == parts  # every reader, once
    finally:
        assert restarted.stop() == 0
