"""`bot import`, `bot issues`, `bot search`, `bot publish`, `bot db backup` as a user runs them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main

ISSUE = """# 嵌入式AI简报 ({date})

> 导读：本次2条。【论文】低比特量化；【开源】ncnn。

## 论文

- [低比特量化新方法 | 机器之心](https://a.example/{date})
摘要：讨论 INT8 与 4 比特量化。

## 开源项目

- [ncnn 发布新版本 | 腾讯优图](https://b.example/{date})
摘要：支持 Vulkan 推理。
"""

REVISED_EXTRA = """
- [模型剪枝工具开源 | 量子位](https://c.example/1)
摘要：一键剪枝。
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"BOT_DB": str(tmp_path / "db" / "bot.sqlite3")}


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    issues = tmp_path / "issues"
    issues.mkdir()
    for date in ("2021-05-21", "2021-07-01"):
        (issues / f"{date}.md").write_text(ISSUE.format(date=date), encoding="utf-8")
    (issues / "notes.txt").write_text("not an issue", encoding="utf-8")
    return issues


def test_import_folder_then_again_is_unchanged(env: dict[str, str], folder: Path) -> None:
    first = run(env, "import", str(folder))
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == (
        "2 issue files: 2 new, 0 updated, 0 unchanged; 4 entries; 0 warnings"
    )
    again = run(env, "import", str(folder / "2021-05-21.md"))
    assert "0 new, 0 updated, 1 unchanged" in again.stdout
    listing = run(env, "issues")
    first = listing.stdout.splitlines()[0]
    assert first == "2021-07-01    2 entries   1 rev  【论文】低比特量化；【开源】ncnn。", (
        "described as /issues does: the intro without its 本次N条"
    )
    assert listing.stdout.splitlines()[-1] == "2 issues"


def test_import_skips_unusable_files_with_one_sentence(
    env: dict[str, str], folder: Path, tmp_path: Path
) -> None:
    undated = tmp_path / "draft.md"
    undated.write_text("# 草稿\n\n- [x](https://x.example)\n", encoding="utf-8")
    binary = tmp_path / "image.md"
    binary.write_bytes(b"\x89PNG\x00\x00")
    result = run(env, "import", str(folder / "2021-05-21.md"), str(undated), str(binary))
    assert result.exit_code == 2
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2 and all(e.startswith("Error: ") for e in errors)
    assert "no date" in errors[0] and "Traceback" not in result.stderr
    assert "1 new" in result.stdout and "2 skipped" in result.stdout


def test_search_text_and_json(env: dict[str, str], folder: Path) -> None:
    run(env, "import", str(folder))
    text = run(env, "search", "量化", "--limit", "1")
    assert text.exit_code == 0
    assert text.stdout.startswith("1-1 of 2 results")
    assert "低比特**量化**新方法" in text.stdout
    js = run(
        env,
        "search",
        "ＮＣＮＮ",
        "--format",
        "json",
        "--issue",
        "2021-05-21",
        "--section",
        "开源项目",
    )
    assert json.loads(js.stdout) == [
        {
            "issue_date": "2021-05-21",
            "section": "开源项目",
            "title": "ncnn 发布新版本",
            "url": "https://b.example/2021-05-21",
            "snippet": "支持 Vulkan 推理。",
            "score": json.loads(js.stdout)[0]["score"],
        }
    ]
    assert run(env, "search", '"NEAR(', "*", "col:").exit_code == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["search"], 2, "give something to search for"),
        (["search", "量化", "--issue", "2021-13-01"], 2, "--issue must be a date"),
        (["search", "量化"], 1, "no archive at"),
        (["issues"], 1, "no archive at"),
        (["import", "/nonexistent/folder.md"], 2, "Error:"),
    ],
)
def test_bad_input_is_one_sentence(
    env: dict[str, str], args: list[str], code: int, message: str
) -> None:
    result = run(env, *args)
    assert result.exit_code == code
    assert message in result.stderr and "Traceback" not in result.stderr


def test_long_query_is_cut_with_a_notice(env: dict[str, str], folder: Path) -> None:
    run(env, "import", str(folder))
    result = run(env, "search", "量化 " + "很长" * 150)
    assert result.exit_code == 0
    assert "cut to its first 200 characters" in result.stderr


def test_publish_lints_ingests_and_reports_what_would_be_sent(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "2021-08-05.md"
    path.write_text(ISSUE.format(date="2021-08-05"), encoding="utf-8")
    dry = run(env, "publish", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would be published as a new issue with 2 entries" in dry.stdout
    assert "Dry run" in dry.stdout
    assert run(env, "search", "量化").stdout.startswith("No results")
    first = run(env, "publish", str(path))
    assert "published as a new issue with 2 entries" in first.stdout
    assert "2 new or changed entries go to" in first.stdout
    path.write_text(ISSUE.format(date="2021-08-05") + REVISED_EXTRA, encoding="utf-8")
    revised = run(env, "publish", str(path))
    assert "updated in place: 1 added, 0 changed, 0 removed" in revised.stdout
    assert "[开源项目] 模型剪枝工具开源" in revised.stdout
    same = run(env, "publish", str(path))
    assert "identical file; nothing to send" in same.stdout


def test_publish_refuses_lint_errors_unless_forced(env: dict[str, str], seed_path: Path) -> None:
    refused = run(env, "publish", str(seed_path))
    assert refused.exit_code == 1
    assert "error placeholder" in refused.stderr
    assert "not published: lint found 1 error" in refused.stderr
    assert not Path(env["BOT_DB"]).exists()
    forced = run(env, "publish", "--force", str(seed_path))
    assert forced.exit_code == 0 and "new issue with 17 entries" in forced.stdout


def test_backup_is_a_working_copy(env: dict[str, str], folder: Path, tmp_path: Path) -> None:
    run(env, "import", str(folder))
    target = tmp_path / "backups" / "copy.sqlite3"
    assert run(env, "db", "backup", str(target)).exit_code == 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM entries").fetchone() == (4,)
    again = run(env, "db", "backup", str(target))
    assert again.exit_code == 2 and "already exists" in again.stderr


@pytest.mark.corpus
def test_import_the_real_archive(env: dict[str, str], corpus_issues: list[Path]) -> None:
    result = run(env, "import", str(corpus_issues[0].parent))
    assert result.exit_code == 0
    assert result.stdout.startswith("30 issue files: 30 new, 0 updated, 0 unchanged;")
    hits = json.loads(run(env, "search", "剪枝", "--format", "json", "--limit", "50").stdout)
    assert hits and all("剪枝" in h["title"] + h["snippet"] or h["snippet"] for h in hits)


@pytest.mark.slow
def test_archive_commands_stay_light(env: dict[str, str], folder: Path) -> None:
    """search/issues/import never import aiogram, nor pydantic (~0.2 s) for BOT_DB."""
    code = (
        "import sys; from bot.cli import main\n"
        f"main(['import', {str(folder)!r}], standalone_mode=False)\n"
        "main(['search', '量化'], standalone_mode=False)\n"
        "main(['issues'], standalone_mode=False)\n"
        "print('heavy:', sorted(m for m in ('aiogram', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    assert out.stdout.strip().endswith("heavy: []")
