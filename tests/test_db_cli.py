"""`bot db init`, `bot db check` and a verified `bot db backup`, as real processes on
real files (a corrupted copy, modes under a loose umask)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.faults import corrupt, corrupt_quietly, populated_db
from tests.support.run import clean_env


def bot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0o022),  # what a login shell has: files 0644
    )


def test_db_init_creates_a_private_database_once(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bot.sqlite3"
    out = bot(tmp_path, "db", "init", "--db", str(path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"created: {path}"
    assert os.stat(path).st_mode & 0o777 == 0o600
    again = bot(tmp_path, "db", "init", "--db", str(path))
    assert again.returncode == 0 and again.stdout.strip() == f"up to date: {path}"


def test_db_check_passes_a_sound_file_and_fails_a_corrupted_one(tmp_path: Path) -> None:
    path = populated_db(tmp_path / "bot.sqlite3")
    ok = bot(tmp_path, "db", "check", "--db", str(path))
    assert ok.returncode == 0 and ok.stdout.strip() == f"ok: {path} passed quick_check"
    full = bot(tmp_path, "db", "check", "--full", "--db", str(path))
    assert full.returncode == 0 and "passed integrity_check" in full.stdout
    corrupt(path)
    for args in ((), ("--full",)):
        bad = bot(tmp_path, "db", "check", *args, "--db", str(path))
        lines = bad.stderr.strip().splitlines()
        assert bad.returncode == 1 and len(lines) == 1, bad.stderr
        assert f"{path} is damaged" in lines[0] and "restore a backup" in lines[0]
    missing = bot(tmp_path, "db", "check", "--db", str(tmp_path / "none.sqlite3"))
    assert missing.returncode == 1 and "no database at" in missing.stderr
    assert not (tmp_path / "none.sqlite3").exists()


def test_backup_is_private_and_verified(tmp_path: Path) -> None:
    path = populated_db(tmp_path / "bot.sqlite3", chats=50)
    target = tmp_path / "backups" / "bot-1.sqlite3"
    out = bot(tmp_path, "db", "backup", str(target), "--db", str(path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"backed up to {target} (verified: 50 chats, 0 outbox rows)"
    assert os.stat(target).st_mode & 0o777 == 0o600
    check = bot(tmp_path, "db", "check", "--db", str(target))
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize(
    ("damage", "status", "says"),
    [
        # Reads still work: only the copy's quick_check finds it (exit 1).
        (corrupt_quietly, 1, "failed its check (quick_check: "),
        # Reading the source fails already: a damaged database (exit 65).
        (corrupt, 65, "not a usable SQLite database (damaged?)"),
    ],
)
def test_backup_of_a_corrupted_database_fails_and_keeps_nothing(
    tmp_path: Path, damage: Callable[[Path], object], status: int, says: str
) -> None:
    path = populated_db(tmp_path / "bot.sqlite3")
    damage(path)
    target = tmp_path / "bot-copy.sqlite3"
    out = bot(tmp_path, "db", "backup", str(target), "--db", str(path))
    assert out.returncode == status and "backed up" not in out.stdout, out
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], out.stderr
    assert not target.exists() and not target.with_name(target.name + ".partial").exists()
