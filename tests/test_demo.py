"""`bot demo` as a newcomer runs it: no token, no network, exit 0, readable output."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.run import clean_env, http

pytestmark = pytest.mark.slow


def chat_section(output: str, name: str) -> str:
    """The block of output under the chat header that starts with ``name``."""
    match = re.search(rf"^── {re.escape(name)} .*?(?=^── |^4\. )", output, flags=re.M | re.S)
    assert match, f"no section for {name} in:\n{output}"
    return match.group(0)


def test_demo_runs_end_to_end_and_shows_what_each_reader_got(tmp_path: Path) -> None:
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stdout + out.stderr
    assert elapsed < 60
    text = out.stdout
    # The draft's lint findings are shown, and publishing anyway is said out loud.
    assert "placeholder" in text and "publishes it anyway" in text and "--force" in text
    # Each reader's chat, as they see it.
    alice = chat_section(text, "Alice (private, no topics)")
    # new readers get compact summaries: the whole issue in one message
    assert "嵌入式AI简报 · 2021-01-05" in alice and "（1/2）" not in alice
    bob = chat_section(text, "Bob (private, topics: 量化)")
    assert "按关注筛选：量化" in bob and "（1/2）" not in bob
    carol = chat_section(text, "Carol (private, topics: NCNN)")
    assert "按关注筛选：NCNN" in carol and "如何阅读NCNN的框架代码" in carol
    group = chat_section(text, "嵌入式AI读书会 (group, no topics)")
    assert "嵌入式AI简报 · 2021-01-05" in group and "（1/2）" not in group
    # The search answer, with a match for the 2-character word.
    search = text.split("Alice asks: /search 量化", 1)[1]
    assert "“量化”" in search and "HAWQ" in search
    # It used a temporary database, not the project's data/bot.sqlite3.
    assert not (tmp_path / "data").exists()
    assert "TEST" not in out.stderr and out.stderr.strip() == ""


def test_demo_refuses_an_existing_database(tmp_path: Path) -> None:
    existing = tmp_path / "bot.sqlite3"
    existing.write_bytes(b"")
    out = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--db", str(existing)],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "already exists" in out.stderr


def test_demo_has_an_email_reader_who_confirms_over_http(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    site = re.search(r"^The public site: (http://127\.0\.0\.1:\d+)/", text, flags=re.M)
    assert site, text
    assert re.search(r"^Mail: an SMTP server on smtp://127\.0\.0\.1:\d+", text, flags=re.M)
    joined = text.split("dora@example.org (e-mail, topics: 量化), by e-mail on the site:", 1)[1]
    assert "got the confirmation mail “请确认订阅嵌入式AI简报”" in joined
    assert f"opened {site.group(1)}/confirm/" in joined
    assert f"signed up on the site's form (POST {site.group(1)}/subscribe)" in joined
    assert "the subscriber is now confirmed" in joined
    mailbox = chat_section(text, "dora@example.org (e-mail, topics: 量化)")
    assert "· 2 mails" in mailbox and "[1/2] Subject: 请确认订阅嵌入式AI简报" in mailbox
    digest = mailbox.split("[2/2]", 1)[1]
    assert "Subject: 嵌入式AI简报 · 2021-01-05 · 量化 2 条" in digest
    assert "From: 嵌入式AI简报 <digest@example.org>" in digest
    assert "To: dora@example.org" in digest
    assert f"List-Unsubscribe: <{site.group(1)}/unsubscribe/" in digest
    assert "<mailto:bounces+" in digest
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in digest
    assert re.search(r"Message-ID: <digest\.[0-9a-f]{32}@example\.org>", digest)
    # The text part: her topic's entries only.
    assert "按关注筛选：量化 · 2/17 条" in digest and "HAWQ" in digest
    assert "如何阅读NCNN的框架代码" not in digest
    saved = re.search(r"HTML part written to (\S+\.html)", digest)
    assert saved, digest
    html = Path(saved.group(1)).read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and "HAWQ" in html
    shutil.rmtree(Path(saved.group(1)).parent)
    # The secrets the demo sets up never reach its output.
    assert "demo-signing-key" not in text


def test_demo_serve_keeps_the_site_up_until_ctrl_c(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--serve"],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        lines = []
        for line in proc.stdout:  # ends if the demo exits early
            lines.append(line)
            if line.startswith("Serving until Ctrl-C"):
                break
        text = "".join(lines)
        assert "Serving until Ctrl-C" in text, text + proc.stderr.read()
        site = re.search(r"^The public site: (http://127\.0\.0\.1:\d+)/", text, flags=re.M)
        assert site, text
        status, page = http("GET", f"{site.group(1)}/issues/2021-01-05")
        assert status == 200 and "HAWQ" in str(page)
        status, home = http("GET", f"{site.group(1)}/")
        assert status == 200 and "2021-01-05" in str(home)
        # A sign-up on the site while it serves: the mail it sends is shown with its link.
        with urllib.request.urlopen(f"{site.group(1)}/subscribe", timeout=10) as resp:
            token = re.search(r'name="form_token" value="([^"]+)"', resp.read().decode())
        assert token
        form = urllib.parse.urlencode(
            {"email": "erin@example.org", "form_token": token.group(1), "lang": "en"}
        ).encode()
        with urllib.request.urlopen(f"{site.group(1)}/subscribe", form, timeout=10) as resp:
            assert resp.status == 200
        for line in proc.stdout:
            if "/confirm/" in line:
                assert line.strip().startswith(f"{site.group(1)}/confirm/")
                break
            assert "Traceback" not in line
    finally:
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, rest + err
    assert "Stopping" in rest and "Traceback" not in err
