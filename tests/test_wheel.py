"""The built distribution works on its own: sdist → wheel → a fresh venv → `bot demo`.

Offline and without downloading: the sdist and the wheel are built with the venv's
setuptools (``--no-build-isolation``), and the fresh venv gets its dependencies
from this venv's site-packages through a ``.pth`` file listing symlinks to every
entry except digest-bot's own (its dist-info and the editable-install hooks), so
pip resolves the wheel's dependencies against them with ``--no-index`` and
``bot`` can only be imported from the installed wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from tests.support.run import ROOT, clean_env

pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, f"{args}:\n{out.stdout}\n{out.stderr}"
    return out.stdout


def fresh_checkout(into: Path) -> Path:
    """What a clone has that packaging reads, symlinks kept; no egg-info, no build/
    (setuptools re-reads a stale SOURCES.txt, which could hide a missing declaration)."""
    into.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, into / name)
    for name in ("bot", "templates", "seeds"):
        shutil.copytree(
            ROOT / name, into / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    return into


def dependencies_only(into: Path) -> Path:
    """A folder of symlinks to this venv's installed packages, digest-bot's excluded."""
    into.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("digest_bot", "__editable__")) or name.endswith(".pth"):
            continue
        (into / entry.name).symlink_to(entry)
    return into


def test_wheel_installed_in_a_fresh_venv_runs_the_demo(tmp_path: Path) -> None:
    started = time.monotonic()
    dist = tmp_path / "dist"
    source = fresh_checkout(tmp_path / "checkout")
    # The sdist first (symlinked templates/ and seeds/ become real files in it), then
    # the wheel from the sdist, so both are checked.
    sdist = run(
        sys.executable,
        "-c",
        "import sys; from setuptools import build_meta as b; print(b.build_sdist(sys.argv[1]))",
        dist,
        cwd=source,
    ).split()[-1]
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-w",
        dist,
        dist / sdist,
        cwd=tmp_path,
    )
    [wheel] = dist.glob("digest_bot-*.whl")

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    purelib = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    ).strip()
    deps = dependencies_only(tmp_path / "deps")
    Path(purelib, "deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    env = {k: v for k, v in clean_env().items() if k != "PYTHONPATH"}
    env["PIP_NO_INDEX"] = "1"
    # Not editable; dependencies resolved (not skipped) against the pinned ones in deps/.
    run(python, "-m", "pip", "install", "--quiet", "--no-index", wheel, cwd=tmp_path, env=env)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    installed = run(python, "-c", "import bot; print(bot.__file__)", cwd=outside, env=env)
    assert installed.startswith(purelib), installed  # not a checkout
    out = subprocess.run(
        [str(venv / "bin" / "bot"), "demo"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    # What readers received, rendered from the templates inside the wheel.
    assert "嵌入式AI简报 · 2021-01-05" in out.stdout and "按关注筛选：NCNN" in out.stdout
    assert "HAWQ" in out.stdout.split("/search 量化", 1)[1]
    assert os.listdir(outside) == []
    print(f"sdist, wheel, venv and demo: {time.monotonic() - started:.1f} s")
