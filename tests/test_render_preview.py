"""`bot preview`: what a chat would receive, in text, HTML or JSON, without aiogram."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.support.render import assert_telegram_parts

HOSTILE = Path(__file__).parent / "fixtures" / "render" / "hostile.md"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["preview", *args])
    return result.exit_code, result.stdout, result.stderr


def test_text_shows_what_the_reader_sees(seed_path: Path) -> None:
    code, out, _ = _run(str(seed_path), "--topic", "量化", "--topic=-招聘")
    assert code == 0
    assert out.startswith("── part 1/1 · ")
    assert "嵌入式AI简报 · 2021-01-05" in out
    assert "按关注筛选：量化、-招聘 · 2/17 条" in out
    assert "<b>" not in out and "HAWQ" in out


def test_json_lists_parts_with_sizes_that_telegram_accepts(seed_path: Path) -> None:
    code, out, _ = _run(str(seed_path), "--format", "json", "--lang", "en", "--mode", "compact")
    assert code == 0
    rows = json.loads(out)
    assert [r["part"] for r in rows] == list(range(1, len(rows) + 1))
    from bot.render.digest import Part

    parts = [
        Part(r["html"], r["plain_len"], r["entity_count"], tuple(r["entry_keys"])) for r in rows
    ]
    assert_telegram_parts(parts)
    assert sum(len(r["entry_keys"]) for r in rows) == 17
    assert "Filtered by" not in rows[0]["html"] and "Full issue" in rows[0]["html"]


def test_html_is_escaped_markup() -> None:
    code, out, _ = _run(str(HOSTILE), "--format", "html", "--mode", "titles")
    assert code == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "<script>" not in out
    assert '<a href="https://example.com/a?x=1&amp;y=2">' in out


def test_topics_matching_nothing_say_so(seed_path: Path) -> None:
    code, out, err = _run(str(seed_path), "--topic", "不存在的主题")
    assert (code, out) == (0, "")
    assert "no message" in err
    code, out, _ = _run(str(seed_path), "--exclude", "的", "--format", "json")
    assert (code, json.loads(out)) == (0, [])


def test_unusable_input_is_one_sentence_and_exit_2(tmp_path: Path, seed_path: Path) -> None:
    code, _, err = _run(str(tmp_path / "missing.md"))
    assert code == 2 and "does not exist" in err and "Traceback" not in err
    code, _, err = _run(str(seed_path), "--topic", "长" * 40)
    assert code == 2 and "longer than 32 characters" in err
    many = [arg for i in range(21) for arg in ("--topic", f"t{i}")]
    code, _, err = _run(str(seed_path), *many)
    assert code == 2 and "at most 20" in err
    code, _, err = _run(str(seed_path), "--mode", "long")
    assert code == 2


@pytest.mark.slow
def test_preview_does_not_import_aiogram_or_the_emulator(seed_path: Path) -> None:
    code = (
        "import sys; from bot.cli import main\n"
        f"main(['preview', {str(seed_path)!r}, '--format', 'json'], standalone_mode=False)\n"
        "print([m for m in ('aiogram', 'bot.emulator', 'bot.telegram') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_file_without_entries_is_not_mistaken_for_a_topic_miss(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# 随便写写\n\n一些笔记，没有任何条目。\n", encoding="utf-8")
    code, out, err = _run(str(notes))
    assert (code, out) == (2, "")
    assert "holds no digest entries" in err and "topics" not in err
