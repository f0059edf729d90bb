"""The bot token never leaves the process: not in stored errors, command output, logs
or tracebacks, whatever sits at BOT_API_BASE (issue 11, item 10).

A tiny aiohttp server plays the hostile proxy: it redirects in a loop, answers 502
with an HTML page that echoes the request path (token included, raw and
percent-encoded), or a JSON error whose description echoes it; a closed port plays
the unreachable API. The real `bot` CLI runs in subprocesses against each.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import aiosqlite
import pytest
from aiohttp import web

from tests.support.delivery import DeliveryRig

# Not token-shaped (too short): only redaction at the source can hide it.
TOKEN = "4242:leak-test-secret-token"
FORMS = (TOKEN, quote(TOKEN, safe=""), "leak-test-secret-token")
ISSUE = """# 嵌入式AI简报 (2021-08-05)

## 论文

- [低比特量化新方法 | 机器之心](https://a.example/1)
摘要：讨论 INT8 与 4 比特量化。
"""


def _echo(request: web.Request) -> str:
    return f"{request.path} {request.raw_path} {quote(request.path, safe='/')} {request.url}"


async def _bad_gateway(request: web.Request) -> web.Response:
    page = f"<html><h1>502 Bad Gateway</h1><p>upstream failed for {_echo(request)}</p></html>"
    return web.Response(status=502, text=page, content_type="text/html")


async def _loop(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.path + "x")


async def _to_bad_gateway(request: web.Request) -> web.Response:
    raise web.HTTPTemporaryRedirect(request.path.replace("/redirect/", "/bad/", 1))


async def _json_echo(request: web.Request) -> web.Response:
    body = {"ok": False, "error_code": 400, "description": f"Bad Request: {_echo(request)}"}
    return web.json_response(body, status=400)


@pytest.fixture
async def proxy() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/bad/{tail:.*}", _bad_gateway)
    app.router.add_route("*", "/loop/{tail:.*}", _loop)
    app.router.add_route("*", "/redirect/{tail:.*}", _to_bad_gateway)
    app.router.add_route("*", "/json/{tail:.*}", _json_echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(db_path: Path, base: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    return {
        **env,
        "BOT_DB": str(db_path),
        "BOT_TOKEN": TOKEN,
        "BOT_API_BASE": base,
        "BOT_RETRY_FOR_MINUTES": "0.05",  # give up after 3 s of passing failures, not 1 h
    }


async def _bot(env: dict[str, str], *args: str) -> str:
    """Every byte the `bot` CLI wrote (stdout and stderr: its logs and tracebacks)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 300)  # aiogram imports slowly
    return out.decode() + err.decode()


async def _run_briefly(env: dict[str, str], seconds: float) -> str:
    """`bot run` for a few seconds, then SIGTERM: what it logged and printed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env={**env, "BOT_HEALTH_PORT": str(_closed_port()), "BOT_LOG_LEVEL": "DEBUG"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    talk = asyncio.create_task(proc.communicate())
    done, _ = await asyncio.wait({talk}, timeout=seconds)
    if not done:
        proc.send_signal(signal.SIGTERM)
        done, _ = await asyncio.wait({talk}, timeout=20)
    if not done:
        proc.kill()
    out, err = await talk
    return out.decode() + err.decode()


def _leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


def _stored(db_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("route", "stored"),
    [
        ("unreachable", "network error: cannot connect to 127.0.0.1:"),
        ("loop", "network error: TooManyRedirects"),
        ("redirect", "502 Bad Gateway (HTTP 502, not a Bot API answer)"),
        ("bad", "502 Bad Gateway (HTTP 502, not a Bot API answer)"),
        ("json", "Bad Request:"),
    ],
)
async def test_no_output_log_or_stored_error_holds_the_token(
    delivery: DeliveryRig,
    db: aiosqlite.Connection,
    db_path: Path,
    proxy: str,
    tmp_path: Path,
    route: str,
    stored: str,
) -> None:
    await delivery.reader(31)
    base = f"http://127.0.0.1:{_closed_port()}" if route == "unreachable" else f"{proxy}/{route}"
    env = _env(db_path, base)
    path = tmp_path / "2021-08-05.md"
    path.write_text(ISSUE, encoding="utf-8")

    output = await _bot(env, "publish", str(path), "--send")
    output += await _bot(env, "deliveries")
    output += await _bot(env, "stats")
    if route in ("bad", "loop"):
        output += await _run_briefly(env, 8.0)
    assert _leaks(output) == [], output

    async with db.execute("SELECT last_error FROM outbox") as cursor:
        errors = [row[0] for row in await cursor.fetchall()]
    assert errors and all(e and e.startswith(stored) for e in errors), errors
    assert all("http" not in e for e in errors), errors  # kinds and descriptions, no URL
    assert [f for f in FORMS if f.encode() in _stored(db_path)] == []
