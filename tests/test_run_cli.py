"""`bot run` refusing bad settings, and `bot publish --at` recording a schedule."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.commands.schedule import parse_at
from bot.store.db import open_db
from bot.store.scheduled import list_scheduled
from tests.support.run import TEST_TOKEN, clean_env


def run_bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=clean_env(BOT_DB=str(tmp_path / "bot.sqlite3"), **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow  # a `bot run` subprocess for each
@pytest.mark.parametrize(
    ("env", "args", "says"),
    [
        ({}, (), "neither BOT_TOKEN nor BOT_SMTP_URL is set"),
        ({"BOT_TOKEN": "not-a-token"}, (), "BOT_TOKEN must look like"),
        ({"BOT_TOKEN": TEST_TOKEN, "BOT_TZ": "Mars/Olympus"}, (), "BOT_TZ"),
        ({"BOT_TOKEN": TEST_TOKEN, "BOT_RATE": "fast"}, (), "BOT_RATE"),
        ({"BOT_TOKEN": TEST_TOKEN}, ("--webhook", "https://example.org/tg"), "BOT_WEBHOOK_SECRET"),
        ({"BOT_TOKEN": TEST_TOKEN}, ("--webhook", "http://example.org/tg"), "https://"),
        ({"BOT_TOKEN": TEST_TOKEN}, ("--listen", "nowhere"), "host:port"),
        (
            {"BOT_TOKEN": TEST_TOKEN, "BOT_SMTP_URL": "smtp://u:pw-secret-1@127.0.0.1:2525"},
            (),
            "BOT_SECRET_KEY is not",
        ),
        ({"BOT_TOKEN": TEST_TOKEN, "BOT_SMTP_URL": "http://u:pw-secret-1@x"}, (), "BOT_SMTP_URL"),
        # E-mail only (no BOT_TOKEN): each missing setting is named.
        ({"BOT_SMTP_URL": "smtp://u:pw-secret-1@127.0.0.1:2525"}, (), "BOT_SECRET_KEY is not"),
        (
            {
                "BOT_SMTP_URL": "smtp://u:pw-secret-1@127.0.0.1:2525",
                "BOT_SECRET_KEY": "k" * 32,
            },
            (),
            "BOT_PUBLIC_URL is not",
        ),
        (
            {
                "BOT_SMTP_URL": "smtp://u:pw-secret-1@127.0.0.1:2525",
                "BOT_SECRET_KEY": "k" * 32,
                "BOT_PUBLIC_URL": "http://digest.example.org",
            },
            (),
            "BOT_PUBLIC_URL http://digest.example.org is not https",
        ),
        (
            {
                "BOT_SMTP_URL": "smtp://u:pw-secret-1@127.0.0.1:2525",
                "BOT_SECRET_KEY": "k" * 32,
                "BOT_PUBLIC_URL": "https://d.example.org",
                "BOT_BOUNCE_IMAP_URL": "imaps://:pw-secret-1@imap.example.org/INBOX",
            },
            (),
            "BOT_BOUNCE_IMAP_URL must look like",
        ),
    ],
)
def test_bad_settings_give_one_sentence_and_exit_2(
    tmp_path: Path, env: dict[str, str], args: tuple[str, ...], says: str
) -> None:
    out = run_bot(tmp_path, "run", *args, **env)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in out.stderr
    assert "not-a-token" not in out.stderr and TEST_TOKEN not in out.stderr
    assert "pw-secret-1" not in out.stderr


def test_at_is_read_in_bot_tz_unless_it_has_an_offset() -> None:
    now = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert parse_at("2026-12-01 09:00", "Asia/Shanghai", now) == datetime(
        2026, 12, 1, 1, 0, tzinfo=UTC
    )
    assert parse_at("2026-12-01T09:00:30+00:00", "Asia/Shanghai", now) == datetime(
        2026, 12, 1, 9, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("value", "says"),
    [("tomorrow 9am", "is not a time like"), ("2020-01-01 09:00", "is in the past")],
)
def test_unusable_at_is_refused(seed_path: Path, tmp_path: Path, value: str, says: str) -> None:
    result = CliRunner().invoke(
        main,
        [
            "publish",
            str(seed_path),
            "--force",
            "--at",
            value,
            "--db",
            str(tmp_path / "bot.sqlite3"),
        ],
    )
    assert result.exit_code == 2 and says in result.output


async def read_schedule(db: Path) -> list[tuple[str, str, bool]]:
    async with open_db(db) as conn:
        return [(p.file_name, p.due_at, p.force) for p in await list_scheduled(conn)]


def test_publish_at_lints_now_and_records_the_issue(
    seed_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_TZ", "Asia/Shanghai")
    db = tmp_path / "bot.sqlite3"
    when = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)
    at = when.strftime("%Y-%m-%d %H:%M")
    refused = CliRunner().invoke(main, ["publish", str(seed_path), "--at", at, "--db", str(db)])
    assert refused.exit_code == 1 and "placeholder" in refused.output  # the draft's lint error
    result = CliRunner().invoke(
        main, ["publish", str(seed_path), "--force", "--at", at, "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert f"at {at}:00 Asia/Shanghai" in result.output and "no bot run is up" in result.output
    rows = asyncio.run(read_schedule(db))
    due_utc = when.replace(second=0, microsecond=0).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert rows == [("2021-01-05.md", due_utc, True)]
