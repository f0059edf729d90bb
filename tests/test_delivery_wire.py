"""The sender's lean HTTP client (bot.delivery.wire) against a tiny real server that
answers oddly: chunked bodies, closed connections, slow headers, 429s, a proxy's 502
page, a redirect. Each case goes through ``DigestClient.send`` as the sender calls it
and checks what the sender would conclude (``classify``), and that no error text
holds the token.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import ssl
import traceback
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.delivery.client import DigestClient, open_bot
from bot.delivery.errors import Kind, classify
from bot.delivery.wire import Pool, Unsent

TOKEN = "4242:wire-test-secret-token"
SECRET = "wire-test-secret-token"
OK = b'{"ok":true,"result":{"message_id":%d,"date":0,"chat":{"id":7,"type":"private"}}}'

Answer = Callable[[bytes], bytes | None]  # request head → raw answer (None: close)


@dataclass
class Server:
    """A raw HTTP/1.1 server: each request is answered by the next scripted answer."""

    answers: list[Answer]
    base: str = ""
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    stall: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                answer = self.answers.pop(0)(head)
                if answer is None:  # the request was read: hang up without an answer
                    break
                if answer == b"stall":
                    await self.stall.wait()
                    break
                writer.write(answer)
                await writer.drain()
                if b"Connection: close" in answer or answer.startswith(b"HTTP/1.0"):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server([])
    listener = await asyncio.start_server(srv.handle, "127.0.0.1", 0)
    srv.base = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    try:
        yield srv
    finally:
        srv.stall.set()
        listener.close()
        await listener.wait_closed()


def _plain(status: str, body: bytes, *headers: str) -> Answer:
    extra = "".join(f"{h}\r\n" for h in headers)
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return lambda _: head.encode() + body


def _ok(message_id: int, *headers: str) -> Answer:
    return _plain("200 OK", OK % message_id, "Content-Type: application/json", *headers)


def _chunked(message_id: int) -> Answer:
    body = OK % message_id
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:10], body[10:]))
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    return lambda _: head + chunks + b"0\r\n\r\n"


async def _send(server: Server, timeout: float = 5.0) -> int:  # noqa: ASYNC109
    client = DigestClient(open_bot(TOKEN, server.base, timeout=timeout))
    try:
        return await client.send(7, "<b>简报</b>", None)
    finally:
        await client.close()


async def _failure(server: Server, timeout: float = 5.0) -> tuple[Kind, bool, str]:  # noqa: ASYNC109
    """What the sender concludes from a failed send, and the error's whole text."""
    with pytest.raises(Exception) as caught:
        await _send(server, timeout)
    failure = classify(caught.value)
    assert failure is not None, caught.value
    text = "".join(traceback.format_exception(caught.value)) + failure.reason
    assert SECRET not in text, text
    return failure.kind, failure.uncertain, failure.reason


async def test_keep_alive_chunked_and_closing_answers_all_give_the_message_id(
    server: Server,
) -> None:
    server.answers = [_ok(1), _chunked(2), _ok(3, "Connection: close"), _ok(4)]
    client = DigestClient(open_bot(TOKEN, server.base))
    text = "<b>简报</b>\n" + "低比特量化，“INT8” 与 \\ 4 比特。\n" * 40  # escaped once, sent 4x
    try:
        ids = [await client.send(7, text, None) for _ in range(4)]
    finally:
        await client.close()
    assert ids == [1, 2, 3, 4]
    assert server.connections == 2  # kept alive, but not past "Connection: close"
    first = server.requests[0]
    assert first.startswith(f"POST /bot{TOKEN}/sendMessage HTTP/1.1\r\n".encode())
    bodies = [json.loads(request.split(b"\r\n\r\n", 1)[1]) for request in server.requests]
    assert all(body["chat_id"] == 7 and body["text"] == text for body in bodies)


async def test_a_body_read_to_the_close_of_an_http_1_0_answer(server: Server) -> None:
    body = OK % 9
    server.answers = [lambda _: b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + body]
    assert await _send(server) == 9


async def test_a_429_pauses_for_its_retry_after(server: Server) -> None:
    flood = b'{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7",'
    flood += b'"parameters":{"retry_after":7}}'
    server.answers = [_plain("429 Too Many Requests", flood)]
    client = DigestClient(open_bot(TOKEN, server.base))
    with pytest.raises(Exception) as caught:
        await client.send(7, "x", None)
    await client.close()
    failure = classify(caught.value)
    assert failure is not None and failure.kind is Kind.FLOOD and failure.retry_after == 7


async def test_a_proxy_502_page_is_a_transient_failure_without_the_token(
    server: Server,
) -> None:
    page = b"<html><title>502 Bad Gateway</title><p>upstream failed for %s</p></html>"
    server.answers = [lambda head: _plain("502 Bad Gateway", page % head)(head)]
    kind, uncertain, reason = await _failure(server)
    assert kind is Kind.TRANSIENT and not uncertain  # Telegram answered: not sent
    assert reason.startswith("502 Bad Gateway (HTTP 502")


async def test_a_connection_closed_after_the_request_is_an_uncertain_send(
    server: Server,
) -> None:
    server.answers = [lambda _: None]
    kind, uncertain, reason = await _failure(server)
    assert kind is Kind.TRANSIENT and uncertain
    assert "no answer" in reason


async def test_an_answer_cut_short_is_an_uncertain_send(server: Server) -> None:
    server.answers = [
        lambda _: b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{"
    ]
    kind, uncertain, _ = await _failure(server)
    assert kind is Kind.TRANSIENT and uncertain


async def test_slow_headers_time_out_as_an_uncertain_send(server: Server) -> None:
    server.answers = [lambda _: b"stall"]
    kind, uncertain, reason = await _failure(server, timeout=0.3)
    assert kind is Kind.TRANSIENT and uncertain
    assert "timeout" in reason


async def test_a_closed_port_is_a_send_that_surely_never_went_out() -> None:
    with socket.socket() as sock:  # a port nobody listens on once this is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kind, uncertain, reason = await _failure(Server([], base=f"http://127.0.0.1:{port}"))
    assert kind is Kind.TRANSIENT and not uncertain
    assert reason.startswith(f"network error: cannot connect to 127.0.0.1:{port}")


async def test_a_redirect_is_followed_the_usual_way(server: Server) -> None:
    moved = f"Location: {server.base}/bot{TOKEN}/sendMessage"
    server.answers = [_plain("307 Temporary Redirect", b"", moved), _ok(5)]
    assert await _send(server) == 5
    assert len(server.requests) == 2  # the redirect was not carried out: one delivery


async def test_tls_with_the_given_context(server: Server, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    openssl = await asyncio.create_subprocess_exec(
        *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
        *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
        *("-addext", "subjectAltName=IP:127.0.0.1"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await openssl.wait() == 0
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=served)
    port = listener.sockets[0].getsockname()[1]
    server.answers = [_ok(11), _ok(12)]
    trusted = ssl.create_default_context(cafile=str(cert))
    pool = Pool(f"https://127.0.0.1:{port}", ssl_context=trusted)
    try:
        answers = [await pool.post("/bot1:x/sendMessage", b"{}", 5.0) for _ in range(2)]
        assert [json.loads(a.body)["result"]["message_id"] for a in answers] == [11, 12]
        assert server.connections == 1  # one TLS handshake, kept alive
        untrusted = Pool(f"https://127.0.0.1:{port}")  # the system's CAs do not know it
        with pytest.raises(Unsent):
            await untrusted.post("/bot1:x/sendMessage", b"{}", 5.0)
    finally:
        pool.close()
        listener.close()
        await listener.wait_closed()
