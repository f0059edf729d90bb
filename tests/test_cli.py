"""The CLI shell: help works and light commands never import aiogram."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from bot.cli import COMMANDS, main


def test_help_lists_every_available_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in main.list_commands(None):  # type: ignore[arg-type]
        assert name in result.output
        assert COMMANDS[name][1] in result.output


@pytest.mark.slow
def test_help_does_not_import_aiogram() -> None:
    code = (
        "import sys; from bot.cli import main; main(['--help'], standalone_mode=False);"
        "print('aiogram' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")
