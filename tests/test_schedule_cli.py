"""`bot publish --date` for a heading that disagrees with its file name, and
`bot schedule list|cancel` with one pending schedule per issue (real subprocesses)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.store.db import open_db
from bot.store.issues import list_issues
from tests.support.run import clean_env

ISSUE = """# 嵌入式AI简报 (2021-01-01)

> 导读：本次2条。

## 论文

- [低比特量化新方法 | 机器之心](https://example.com/a)
摘要：一种 int8 量化方法。

## 开源项目

- [NCNN 新版本 | 腾讯](https://example.com/b)
摘要：移动端推理框架更新。
"""


def bot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=clean_env(BOT_DB=str(tmp_path / "bot.sqlite3"), BOT_TZ="Asia/Shanghai"),
        capture_output=True,
        text=True,
        timeout=60,
    )


def revision(tmp_path: Path) -> Path:
    """A revision saved under 2021-01-05 whose heading still says 2021-01-01."""
    path = tmp_path / "2021-01-05.r1.md"
    path.write_text(ISSUE, encoding="utf-8")
    return path


async def issue_dates(db: Path) -> list[str]:
    async with open_db(db) as conn:
        return [s.date for s in await list_issues(conn)]


def test_publish_refuses_a_date_mismatch_until_date_says_which(tmp_path: Path) -> None:
    path = revision(tmp_path)
    linted = bot(tmp_path, "lint", str(path))
    assert linted.returncode == 1 and "date-mismatch" in linted.stdout + linted.stderr
    for extra in ((), ("--force",)):
        refused = bot(tmp_path, "publish", str(path), *extra)
        assert refused.returncode == 1, refused.stderr
        assert "the heading says 2021-01-01 but the file name says 2021-01-05" in refused.stderr
        assert "--date" in refused.stderr
    wrong = bot(tmp_path, "publish", str(path), "--date", "2021-01-09")
    assert wrong.returncode == 2 and "2021-01-01 or 2021-01-05" in wrong.stderr
    assert (
        not (tmp_path / "bot.sqlite3").exists()
        or asyncio.run(issue_dates(tmp_path / "bot.sqlite3")) == []
    )
    done = bot(tmp_path, "publish", str(path), "--date", "2021-01-05")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2021-01-05: published as a new issue")
    assert asyncio.run(issue_dates(tmp_path / "bot.sqlite3")) == ["2021-01-05"]


def test_a_second_schedule_replaces_the_first_unless_also(tmp_path: Path) -> None:
    path = tmp_path / "2021-01-01.md"
    path.write_text(ISSUE, encoding="utf-8")
    tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)
    first_at, second_at, third_at = (
        (tomorrow + timedelta(hours=h)).strftime("%Y-%m-%d %H:%M") for h in (0, 1, 2)
    )
    assert bot(tmp_path, "schedule", "list").stdout == "no pending scheduled publishes\n"
    first = bot(tmp_path, "publish", str(path), "--at", first_at)
    assert (
        first.returncode == 0 and "scheduled #1" in first.stdout and "replaced" not in first.stdout
    )
    second = bot(tmp_path, "publish", str(path), "--at", second_at)
    assert second.returncode == 0, second.stderr
    assert f"replaced #1 (2021-01-01.md at {first_at} Asia/Shanghai)" in second.stdout
    third = bot(tmp_path, "publish", str(path), "--at", third_at, "--also")
    assert third.returncode == 0 and "replaced" not in third.stdout
    listed = bot(tmp_path, "schedule", "list").stdout.splitlines()
    assert [line.split()[0] for line in listed] == ["#2", "#3"]
    assert f"{second_at} Asia/Shanghai" in listed[0] and "2021-01-01.md" in listed[0]
    cancelled = bot(tmp_path, "schedule", "cancel", "2")
    assert cancelled.returncode == 0
    assert (
        cancelled.stdout
        == f"cancelled #2: 2021-01-01.md will not be published at {second_at} Asia/Shanghai\n"
    )
    again = bot(tmp_path, "schedule", "cancel", "2")
    assert again.returncode == 1 and "#2 is cancelled, not pending" in again.stderr
    missing = bot(tmp_path, "schedule", "cancel", "99")
    assert missing.returncode == 2 and "no scheduled publish #99" in missing.stderr
    assert [line.split()[0] for line in bot(tmp_path, "schedule", "list").stdout.splitlines()] == [
        "#3"
    ]
    every = bot(tmp_path, "schedule", "list", "--all").stdout
    assert "(replaced by #2)" in every and "cancelled by bot schedule" in every
    assert every.count("cancelled") >= 2 and "#3" in every


def test_a_schedule_keeps_the_date_it_was_given(tmp_path: Path) -> None:
    path = revision(tmp_path)
    at = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    refused = bot(tmp_path, "publish", str(path), "--at", at)
    assert refused.returncode == 1 and "--date" in refused.stderr
    done = bot(tmp_path, "publish", str(path), "--at", at, "--date", "2021-01-05")
    assert done.returncode == 0, done.stderr
    assert "2021-01-05" in bot(tmp_path, "schedule", "list").stdout
