"""The layer order of docs/architecture.md holds, and `lint-imports` notices a breach."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.slow  # each test runs lint-imports (`make lint` runs it too)


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "bot", tmp_path / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_a_store_module_importing_the_daemon_breaks_the_layers(tree_copy: Path) -> None:
    chats = tree_copy / "bot" / "store" / "chats.py"
    chats.write_text(chats.read_text() + "\nimport bot.run.daemon  # noqa: E402\n")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert "bot.store.chats -> bot.run.daemon" in result.stdout


def test_the_emulator_importing_the_bot_breaks_its_contract(tree_copy: Path) -> None:
    server = tree_copy / "bot" / "emulator" / "server.py"
    server.write_text(server.read_text() + "\nfrom bot.store import db  # noqa: E402\n")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert "bot.emulator is not allowed to import bot.store" in result.stdout


def test_aiogram_outside_the_telegram_side_breaks_its_contract(tree_copy: Path) -> None:
    render = tree_copy / "bot" / "render" / "digest.py"
    render.write_text(render.read_text() + "\nimport aiogram  # noqa: E402\n")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert "bot.render is not allowed to import aiogram" in result.stdout
