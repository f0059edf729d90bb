"""`bot topics list | match | explain` as a user or a tool runs them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.topics.catalog import CATALOG_VERSION, load_catalog

ISSUE = Path(__file__).resolve().parent / "fixtures" / "topics" / "issue.md"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _records(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_match_prints_one_json_object_per_matched_entry() -> None:
    code, out, err = _run("topics", "match", "--topic", "量化", str(ISSUE))
    assert code == 0, err
    records = _records(out)
    assert len(records) == 1
    record = records[0]
    assert list(record) == ["file", "issue_date", "url", "title", "topics", "because"]
    assert record["file"] == str(ISSUE)
    assert record["issue_date"] == "2024-03-01"
    assert record["url"] == "https://news.example.com/npu"
    assert record["topics"] == ["quantization"]
    assert "INT8" in record["because"]  # type: ignore[operator]
    # 轻量化 and 向量化 are not quantization
    assert "light" not in out


@pytest.mark.parametrize("word", ["quantization", "INT8", "ｑｕａｎｔｉｚａｔｉｏｎ", "低比特"])
def test_any_alias_or_slug_selects_the_same_topic(word: str) -> None:
    code, out, _ = _run("topics", "match", "--topic", word, "--format", "json", str(ISSUE))
    assert code == 0
    assert [r["url"] for r in _records(out)] == ["https://news.example.com/npu"]


def test_several_topics_report_what_each_entry_matched() -> None:
    topics = ("--topic", "剪枝", "--topic", "compiler", "--topic", "推理框架")
    code, out, _ = _run("topics", "match", *topics, str(ISSUE))
    assert code == 0
    by_url = {r["url"]: r for r in _records(out)}
    assert by_url["https://paper.example.com/prune"]["topics"] == ["pruning"]
    engine = by_url["https://github.com/example/bing"]
    assert engine["topics"] == ["compiler", "inference-engine"]
    assert {"TVM", "ncnn"} <= set(engine["because"])  # type: ignore[arg-type]
    assert len(by_url) == 2


def test_match_text_format_is_one_line_per_entry() -> None:
    code, out, _ = _run("topics", "match", "--topic", "NPU", "--format", "text", str(ISSUE))
    assert code == 0
    assert out.splitlines() == [
        f"{ISSUE}: 甲公司发布新一代NPU，INT8推理能效翻倍  [accelerator: NPU, 神经网络处理器]"
    ]


def test_unknown_topic_is_one_sentence_with_suggestions_and_exit_2() -> None:
    code, out, err = _run("topics", "match", "--topic", "量子", str(ISSUE))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "'量子' is not a catalogue topic" in err
    assert "量化 (quantization)" in err


def test_unusable_file_is_reported_and_the_others_still_matched(tmp_path: Path) -> None:
    missing = tmp_path / "missing.md"
    code, out, err = _run("topics", "match", "--topic", "量化", str(missing), str(ISSUE))
    assert code == 2
    assert "does not exist" in err
    assert len(_records(out)) == 1


def test_explain_shows_every_entry_with_its_topics() -> None:
    code, out, _ = _run("topics", "explain", str(ISSUE))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{ISSUE} (2024-03-01): 6 entries"
    assert "quantization (INT8" in lines[1] and "accelerator (NPU" in lines[1]
    assert "lightweight" in lines[3] and "quantization" not in lines[3]
    assert lines[6].endswith("→  —")
    assert lines[-1] == "1 of 6 entries have no topic"


def test_list_json_is_the_catalogue(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite3"
    code, out, _ = _run("topics", "list", "--format", "json", "--db", str(missing))
    assert code == 0
    topics = json.loads(out)
    assert {"slug": "quantization", "zh": "量化", "en": "quantization"}.items() <= topics[0].items()
    assert all(list(t) == ["slug", "zh", "en", "aliases", "entries"] for t in topics)
    assert "INT8" in topics[0]["aliases"]
    assert all(t["entries"] is None for t in topics)  # no archive: no counts
    assert not missing.exists()  # and none created


def test_list_text_names_every_topic(tmp_path: Path) -> None:
    code, out, _ = _run("topics", "list", "--db", str(tmp_path / "none.sqlite3"))
    assert code == 0
    assert "编译器 / compiler" in out
    count = len(load_catalog().topics)
    assert out.splitlines()[-1] == (
        f"{count} topics, catalogue version {CATALOG_VERSION}; no archive, so no entry counts"
    )


def test_list_counts_the_archive_and_retag_rewrites_the_tags(tmp_path: Path) -> None:
    db = str(tmp_path / "a.sqlite3")
    code, _, err = _run("import", "--db", db, str(ISSUE.parent))
    assert code == 0, err
    code, out, _ = _run("topics", "list", "--format", "json", "--db", db)
    counts = {t["slug"]: t["entries"] for t in json.loads(out)}
    # the two fixture issues: INT8 NPU news, 二值网络, INT8 phone chip, 训练后量化
    assert counts["quantization"] == 4 and counts["lightweight"] == 3 and counts["hiring"] == 0
    code, out, _ = _run("topics", "list", "--db", db)
    assert out.splitlines()[0].split()[:2] == ["quantization", "4"]
    code, out, _ = _run("topics", "retag", "--db", db)
    assert code == 0
    assert re.fullmatch(r"re-tagged 12 entries: \d+ tags in \d+ ms\n", out), out
    code, _, err = _run("topics", "retag", "--db", str(tmp_path / "none.sqlite3"))
    assert code == 1 and "no archive" in err


def test_lint_names_entries_no_topic_covers() -> None:
    code, out, _ = _run("lint", str(ISSUE))
    assert code == 0
    (line,) = [line for line in out.splitlines() if "no-topic" in line]
    assert line.startswith(f"{ISSUE}:23: info no-topic: no catalogue topic covers '一个与主题无关")
    assert out.splitlines()[-1].endswith("1 warning, 1 info")


def test_every_topics_command_has_help() -> None:
    for sub in ("list", "match", "explain", "retag"):
        code, out, _ = _run("topics", sub, "--help")
        assert code == 0 and "Usage:" in out


def test_topics_command_imports_neither_aiogram_nor_pydantic() -> None:
    code = (
        "import sys; from bot.cli import main;"
        f"main(['topics', 'explain', {str(ISSUE)!r}], standalone_mode=False);"
        "print('aiogram' in sys.modules, 'pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False False")
