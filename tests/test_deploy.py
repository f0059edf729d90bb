"""deploy/: the files an operator uses are valid and agree with the code."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "systemd" / "digest-bot.service"


def unit_sections(text: str) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def test_env_example_documents_every_setting() -> None:
    text = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?(BOT_[A-Z_]+)=", text, flags=re.M))
    expected = {"BOT_" + name.upper() for name in Settings.model_fields}
    assert expected - documented == set(), "settings missing from deploy/.env.example"
    assert documented - expected == set(), "deploy/.env.example names unknown settings"


def test_env_example_values_are_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uncommenting every example value gives settings the bot accepts."""
    lines = (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines()
    env = tmp_path / ".env"
    env.write_text(
        "\n".join(re.sub(r"^#(BOT_[A-Z_]+=)", r"\1", line) for line in lines), encoding="utf-8"
    )
    for name in list(os.environ):
        if name.startswith("BOT_"):
            monkeypatch.delenv(name)
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.webhook_url == "https://bot.example.org/telegram"
    assert settings.token is not None and settings.tz == "Asia/Shanghai"


def test_unit_has_what_an_operator_needs() -> None:
    service = unit_sections(UNIT.read_text(encoding="utf-8"))["Service"]
    assert service["User"] == ["digestbot"] and service["User"] != ["root"]
    assert service["Restart"] == ["on-failure"]
    assert service["EnvironmentFile"] == ["/etc/digest-bot/env"]
    assert service["StateDirectory"] == ["digest-bot"]
    assert "BOT_DB=/var/lib/digest-bot/bot.sqlite3" in service["Environment"]
    # Bad settings (2), a missing or damaged database (65): no restart loop. A fault that
    # may pass (75: disk full, a read-only remount) is restarted.
    assert service["RestartPreventExitStatus"] == ["2 65"]
    assert service["ExecStart"][0].endswith("/bot run")
    assert int(service["TimeoutStopSec"][0]) > 10  # the bot stops within 10 s of SIGTERM


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    bot = Path(sys.executable).parent / "bot"
    text = UNIT.read_text(encoding="utf-8").replace("/opt/digest-bot/.venv/bin/bot", str(bot))
    unit = tmp_path / "digest-bot.service"
    unit.write_text(text, encoding="utf-8")
    out = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    complaints = [line for line in out.stderr.splitlines() if "digest-bot.service" in line]
    assert out.returncode == 0 and complaints == [], out.stderr


def test_systemd_analyze_would_catch_a_broken_unit(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    bad = tmp_path / "digest-bot.service"
    bad.write_text(
        UNIT.read_text(encoding="utf-8")
        .replace("Restart=on-failure", "Restrat=on-failure")
        .replace("/opt/digest-bot/.venv/bin/bot", str(Path(sys.executable).parent / "bot")),
        encoding="utf-8",
    )
    out = subprocess.run(
        ["systemd-analyze", "verify", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert "Restrat" in out.stderr


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_is_slim_non_root_with_healthcheck() -> None:
    known = {
        "FROM",
        "ENV",
        "RUN",
        "WORKDIR",
        "COPY",
        "USER",
        "VOLUME",
        "EXPOSE",
        "HEALTHCHECK",
        "STOPSIGNAL",
        "ENTRYPOINT",
        "CMD",
        "ARG",
        "LABEL",
    }
    instructions = dockerfile_instructions()
    assert {word for word, _ in instructions} <= known
    stages = [i for i, (word, _) in enumerate(instructions) if word == "FROM"]
    assert all("slim" in instructions[i][1] for i in stages)
    instructions = instructions[stages[-1] :]  # the image that runs: the last stage
    users = [rest for word, rest in instructions if word == "USER"]
    assert users and users[-1] not in {"root", "0"}
    health = [rest for word, rest in instructions if word == "HEALTHCHECK"]
    assert health and "/healthz" in health[0]
    env = " ".join(rest for word, rest in instructions if word == "ENV")
    assert "BOT_DB=/data/bot.sqlite3" in env and "BOT_HEALTH_PORT=8080" in env
    # Every COPY source exists in the repository (the build context is its root).
    for word, rest in dockerfile_instructions():
        if word == "COPY" and not rest.startswith("--from="):
            for src in rest.split()[:-1]:
                assert (ROOT / src).exists(), f"COPY source {src} is missing"
    # Exec form, so SIGTERM reaches the bot and not a shell.
    entry = [rest for word, rest in instructions if word in {"ENTRYPOINT", "CMD"}]
    assert all(rest.startswith("[") for rest in entry)


def test_dockerfile_builds_a_wheel_and_installs_it_not_editable() -> None:
    instructions = dockerfile_instructions()
    stages = [i for i, (word, _) in enumerate(instructions) if word == "FROM"]
    assert len(stages) == 2 and instructions[stages[0]][1].endswith(" AS builder")
    builder, final = instructions[stages[0] : stages[1]], instructions[stages[1] :]
    build = " ".join(rest for word, rest in builder if word == "RUN")
    assert "pip wheel" in build and "--wheel-dir /wheels" in build
    copied = {rest.split()[-1] for word, rest in builder if word == "COPY"}
    assert {"./bot", "./templates", "./seeds"} <= copied  # bot/templates links to templates/
    # The final stage gets only the wheel from the builder, never the source tree.
    assert [rest for word, rest in final if word == "COPY"] == ["--from=builder /wheels /wheels"]
    [install] = [rest for word, rest in final if word == "RUN" and "pip install" in rest]
    assert "/wheels/digest_bot-*.whl" in install and " -e " not in f" {install} "


def test_compose_file_keeps_the_database_in_a_volume() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    bot = compose["services"]["bot"]
    assert bot["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (DEPLOY / bot["build"]["context"] / "pyproject.toml").exists()
    volume, _, target = bot["volumes"][0].partition(":")
    assert volume in compose["volumes"]
    assert bot["environment"]["BOT_DB"].startswith(target + "/")
    assert bot["env_file"] == ".env"


def test_workflow_publishes_over_ssh_on_release() -> None:
    text = (DEPLOY / "github" / "publish-on-release.yml").read_text(encoding="utf-8")
    flow = yaml.safe_load(text)
    triggers = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads `on` as true
    assert triggers["release"]["types"] == ["published"]
    steps = flow["jobs"]["publish"]["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    assert "StrictHostKeyChecking=yes" in script and "publish " in script
    assert "Why SSH" in text


SCRIPT = DEPLOY / "publish-from-ci.sh"


def run_forced_command(
    tmp_path: Path, command: str, data: bytes
) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / "env"
    env_file.write_text("BOT_TZ=Asia/Shanghai\n", encoding="utf-8")
    fake_bot = tmp_path / "bot"
    fake_bot.write_text('#!/bin/sh\necho "args: $*"\necho "db: $BOT_DB"\nhead -c 20 "$2"\n')
    fake_bot.chmod(0o755)
    env = {
        "PATH": os.environ["PATH"],
        "SSH_ORIGINAL_COMMAND": command,
        "DIGEST_BOT_ENV": str(env_file),
        "DIGEST_BOT_BIN": str(fake_bot),
    }
    return subprocess.run(
        ["sh", str(SCRIPT)],
        input=data.decode("latin-1"),
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_forced_command_publishes_the_issue_from_stdin(tmp_path: Path) -> None:
    out = run_forced_command(tmp_path, "publish 2021-01-05.md", b"# issue text\n")
    assert out.returncode == 0, out.stderr
    assert "args: publish " in out.stdout and "2021-01-05.md" in out.stdout
    assert "db: /var/lib/digest-bot/bot.sqlite3" in out.stdout
    assert "# issue text" in out.stdout


@pytest.mark.parametrize(
    "command",
    [
        "",
        "rm -rf /",
        "publish ../etc/passwd",
        "publish *.md",
        "publish a.md b.md",
        "publish 2021-01-05.md; id",
    ],
)
def test_forced_command_refuses_anything_else(tmp_path: Path, command: str) -> None:
    out = run_forced_command(tmp_path, command, b"x")
    assert out.returncode == 2
    assert "args:" not in out.stdout


def test_forced_command_bounds_the_input(tmp_path: Path) -> None:
    out = run_forced_command(tmp_path, "publish 2021-01-05.md", b"x" * (1024 * 1024 + 10))
    assert out.returncode == 2 and "1 MiB" in out.stderr
