"""`bot run` and its database: exit statuses that say what happened (2 configuration,
65 missing or damaged, 75 a fault that may pass), a missing database refused, a
damaged one refused, a database deleted under the running daemon noticed.

Real processes on real files: a read-only remount and a full tmpfs of our own
(tests/support/faults.py), a corrupted copy, the emulator as Telegram.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.faults import SmallFs, corrupt_quietly, populated_db
from tests.support.run import (
    ROOT,
    TEST_TOKEN,
    DaemonProcess,
    EmulatorProcess,
    clean_env,
    free_port,
    http,
)

pytestmark = pytest.mark.slow

TEMPFAIL, DAMAGED = 75, 65
SEED = ROOT / "seeds" / "2021-01-05.md"


def bot_run(workdir: Path, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    unreachable = f"http://127.0.0.1:{free_port()}"  # never reached: refused before
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", *args],
        cwd=workdir,
        env=clean_env(BOT_TOKEN=TEST_TOKEN, BOT_DB=str(db), BOT_API_BASE=unreachable),
        capture_output=True,
        text=True,
        timeout=90,
    )


def one_line(out: subprocess.CompletedProcess[str]) -> str:
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    return lines[0]


def test_a_missing_database_is_refused_and_not_created(tmp_path: Path) -> None:
    db = tmp_path / "data" / "bot.sqlite3"
    out = bot_run(tmp_path, db)
    assert out.returncode == DAMAGED
    line = one_line(out)
    assert f"no database at {db}" in line and "bot db init" in line and "--init" in line
    assert not db.exists()


def test_a_damaged_database_is_refused_at_start(tmp_path: Path) -> None:
    db = populated_db(tmp_path / "bot.sqlite3")
    corrupt_quietly(db)  # opens and reads fine: only quick_check finds it
    out = bot_run(tmp_path, db)
    assert out.returncode == DAMAGED
    line = one_line(out)
    assert "is damaged (quick_check:" in line and "restore a backup" in line


def test_a_read_only_file_system_exits_75_and_says_so(
    tmp_path: Path, small_fs: Callable[[str], SmallFs]
) -> None:
    fs = small_fs("4m")
    db = populated_db(fs.path / "bot.sqlite3", chats=3)
    fs.remount(read_only=True)
    out = bot_run(tmp_path, db)
    assert out.returncode == TEMPFAIL
    line = one_line(out)
    assert "file system holding the database" in line and "mounted read-only" in line
    assert "check the path" not in line and "permissions" not in line


def test_a_full_disk_exits_75_and_says_so(
    tmp_path: Path, small_fs: Callable[[str], SmallFs]
) -> None:
    fs = small_fs("2m")
    db = populated_db(fs.path / "bot.sqlite3", chats=3)
    fs.fill()
    out = bot_run(tmp_path, db)
    assert out.returncode == TEMPFAIL
    assert "the disk holding the database" in one_line(out) and "is full" in one_line(out)


def test_a_database_deleted_while_running_stops_the_bot_and_is_not_recreated(
    tmp_path: Path,
) -> None:
    emulator = EmulatorProcess(tmp_path / "emulator.log")
    db = tmp_path / "bot.sqlite3"
    port = free_port()
    env = clean_env(BOT_TOKEN=TEST_TOKEN, BOT_API_BASE=emulator.base_url, BOT_DB=str(db))
    daemon = DaemonProcess("run", tmp_path, env, "--init", "--health-port", str(port))
    try:
        daemon.wait_log("event=run.started")
        assert db.stat().st_mode & 0o777 == 0o600  # `bot run --init` created it, private
        status, body = http("GET", f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and body["db"] == "ok"
        db.unlink()  # an unlucky `rm`, a cleanup script...
        status, body = http("GET", f"http://127.0.0.1:{port}/healthz")
        assert status == 503 and "was deleted" in body["db"], body
        assert daemon.proc.wait(20) == TEMPFAIL  # stops by itself: the watch runs every 2 s
        log = daemon.text()
        assert "event=db.lost" in log and "event=run.stopped exit=75" in log
    finally:
        daemon.stop()
        emulator.stop()
    restart = DaemonProcess("restart", tmp_path, env)
    assert restart.proc.wait(60) == DAMAGED
    assert "no database at" in restart.text() and "bot db init" in restart.text()
    assert not db.exists()  # the next start did not make an empty one


def test_a_disk_filling_up_while_sending_exits_75(
    tmp_path: Path, small_fs: Callable[[str], SmallFs]
) -> None:
    fs = small_fs("16m")
    db = fs.path / "bot.sqlite3"
    emulator = EmulatorProcess(tmp_path / "emulator.log")
    env = clean_env(BOT_TOKEN=TEST_TOKEN, BOT_API_BASE=emulator.base_url, BOT_DB=str(db))
    daemon = DaemonProcess("run", tmp_path, env, "--init")
    try:
        daemon.wait_log("event=run.started")
        chats = range(301, 311)
        for chat_id in chats:
            emulator.add_chat(chat_id, "private", language_code="zh")
            emulator.say(chat_id, "/start")
        for chat_id in chats:
            emulator.wait_messages(chat_id, 1)
        emulator.control("POST", "config", {"latency_ms": 1500})  # sends stay in flight
        published = subprocess.run(
            [sys.executable, "-m", "bot", "publish", str(SEED), "--force"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert published.returncode == 0, published.stderr
        fs.fill()  # the sent marks (and everything else) can no longer be written
        assert daemon.proc.wait(40) == TEMPFAIL
        assert "database or disk is full" in daemon.text()
        assert "event=run.stopped exit=75" in daemon.text()
    finally:
        daemon.stop()
        emulator.stop()


def test_the_exit_statuses_have_one_meaning_each() -> None:
    from bot import exits

    statuses = [exits.OK, exits.FAILED, exits.CONFIG, exits.DAMAGED, exits.TEMPFAIL]
    assert statuses == [0, 1, 2, 65, 75]
