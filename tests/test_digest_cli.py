"""`bot parse` and `bot lint` as a user runs them: output contract, exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_parse_json_is_the_contract(shapes_path: Path) -> None:
    code, out, err = _run("parse", str(shapes_path))
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc) == ["file", "issue", "entries", "warnings"]
    assert doc["file"] == str(shapes_path)
    assert list(doc["issue"]) == ["date", "title", "intro", "warmups"]
    assert doc["issue"]["date"] == "2023-04-10"
    assert len(doc["issue"]["warmups"]) == 5
    assert len(doc["entries"]) == 10
    for entry in doc["entries"]:
        assert list(entry) == ["section", "title", "source", "url", "links", "tag", "summary"]
    paper = doc["entries"][2]
    assert paper["tag"] == "2301.00001"
    assert paper["links"][0] == {"text": "原文", "url": "https://mp.example.com/quantx"}
    assert doc["warnings"] == []


def test_parse_several_files_is_json_lines(shapes_path: Path, seed_path: Path) -> None:
    code, out, _ = _run("parse", str(shapes_path), str(seed_path))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["issue"]["date"] for line in lines] == ["2023-04-10", "2021-01-05"]


def test_parse_warnings_carry_code_severity_line_message(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("## 论文\n\n- [a | b](https://a.example)\n", encoding="utf-8")
    code, out, _ = _run("parse", str(path))
    assert code == 0
    warning = json.loads(out)["warnings"][0]
    assert warning == {
        "code": "no-heading",
        "severity": "warning",
        "line": 1,
        "message": warning["message"],
    }


def test_parse_text_outline(seed_path: Path) -> None:
    code, out, _ = _run("parse", "--format", "text", str(seed_path))
    assert code == 0
    assert "## 业界新闻 (4)" in out
    assert "[ISMAR 2020] 商汤提出手机端实时单目三维重建系统 | 商汤汤泰坦公开课" in out
    assert "17 entries in 4 sections" in out


def test_lint_seed_reports_placeholder_and_count(seed_path: Path) -> None:
    code, out, _ = _run("lint", str(seed_path))
    assert code == 1
    lines = out.splitlines()
    assert f"{seed_path}:5: error placeholder: template marker '<标题>' left in" in lines
    assert any(
        line.startswith(f"{seed_path}:9: warning count-mismatch:") and "21" in line and "17" in line
        for line in lines
    )
    # 1 info from the digest's rules, 4 entries no catalogue topic covers
    assert sum("info no-topic:" in line for line in lines) == 4
    assert lines[-1] == "1 file checked: 1 error, 1 warning, 5 info"


def test_lint_clean_file_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "2022-01-01.md"
    path.write_text(
        "# 嵌入式AI简报 (2022-01-01) 标题\n\n> 导读：本次1条。\n\n## 论文\n\n"
        "- [a | b](https://a.example)\n摘要：有摘要，讲模型量化。\n",
        encoding="utf-8",
    )
    code, out, _ = _run("lint", str(path))
    assert (code, out) == (0, "1 file checked: 0 errors, 0 warnings, 0 info\n")


@pytest.mark.parametrize("command", ["parse", "lint"])
def test_bad_inputs_are_one_sentence_and_exit_2(tmp_path: Path, command: str) -> None:
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    binary = tmp_path / "blob.md"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    for bad, words in [
        (tmp_path / "missing.md", "does not exist"),
        (tmp_path, "is a directory"),
        (empty, "is empty"),
        (binary, "binary"),
    ]:
        code, out, err = _run(command, str(bad))
        assert code == 2, (bad, out, err)
        assert err.count("\n") == 1 and str(bad) in err and words in err
        assert "Traceback" not in err


def test_good_files_are_still_reported_beside_a_bad_one(seed_path: Path, tmp_path: Path) -> None:
    code, out, err = _run("parse", str(seed_path), str(tmp_path / "missing.md"))
    assert code == 2
    assert json.loads(out.splitlines()[0])["issue"]["date"] == "2021-01-05"
    assert "missing.md does not exist" in err


@pytest.mark.slow
def test_parse_process_imports_nothing_heavy(seed_path: Path) -> None:
    # lint's topic check tags entries with the catalogue, on the search normalization
    # (OpenCC, ~50 ms): parse stays without it.
    for command, allowed in (("parse", ()), ("lint", ("opencc",))):
        code = (
            "import sys, io, contextlib\n"
            "from bot.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            f"    main([{command!r}, {str(seed_path)!r}], standalone_mode=False)\n"
            "heavy = ['aiogram', 'pydantic', 'opencc', 'aiohttp', 'jinja2', 'aiosqlite']\n"
            f"print([m for m in heavy if m in sys.modules and m not in {allowed!r}])\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
        )
        assert out.stdout.strip().splitlines()[-1] == "[]", (command, out.stderr)
