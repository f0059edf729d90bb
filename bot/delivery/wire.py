"""A minimal HTTP/1.1 keep-alive client for the sender's hot call: a JSON POST.

aiohttp builds a request, a payload, header multidicts, a URL and a response object
per call: most of the sender's CPU per ``sendMessage``. Here a call is a pre-built
request head plus the body, written to an idle keep-alive connection of a small pool,
and an answer parsed from one buffer (``Content-Length``, chunked, or read to the
close). TLS is the ssl module's; proxies, redirects and anything else unusual stay
with aiohttp (see ``JsonSession.post_json``).

Failures say what is known about the request: :class:`Unsent` (no connection could be
made: it surely never arrived) or :class:`NoAnswer` (the request may have been written:
the outcome is unknown). Neither message holds the request path (the token's place).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024  # an answer's status line and headers
MAX_BODY = 4 * 1024 * 1024  # a Bot API answer is a few KB; a runaway proxy is cut off


class WireError(Exception):
    """A call that got no usable answer; the message never holds the request path."""


class Unsent(WireError):
    """No connection could be made: the request surely never reached the server."""


class NoAnswer(WireError):
    """The request may have reached the server, but no complete answer came back."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]  # the framing headers only, names and values lower-cased
    body: bytes


class _Connection(asyncio.Protocol):
    """One keep-alive connection: a request at a time, its answer parsed as it comes."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[Answer] | None = None
        self.closed = False
        self.keep = True  # whether the connection can carry another request
        self._head: tuple[int, dict[str, str], int] | None = None  # status, headers, end

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter is not None and not self.waiter.done():
            self._answer(eof=False)

    def eof_received(self) -> bool | None:
        return False  # close the transport: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.keep = False
        waiting = self.waiter is not None and not self.waiter.done()
        if waiting and not self._answer(eof=True):
            assert self.waiter is not None
            self.waiter.set_exception(NoAnswer("the connection closed before an answer"))

    def request(self, data: bytes) -> asyncio.Future[Answer]:
        assert self.transport is not None
        self.buf.clear()
        self._head = None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter

    def close(self) -> None:
        self.keep = False
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _answer(self, eof: bool) -> bool:
        """Set the waiter's answer if the buffer holds a whole one; whether it did."""
        assert self.waiter is not None
        try:
            answer = self._parse(eof)
        except WireError as exc:
            self.keep = False
            self.waiter.set_exception(exc)
            return True
        if answer is None:
            return False
        self.waiter.set_result(answer)
        return True

    def _parse(self, eof: bool) -> Answer | None:
        buf = self.buf
        if self._head is None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD:
                    raise NoAnswer("the answer's headers are too long")
                return None
            self._head = _head(bytes(buf[:end]), end + 4)
        status, headers, start = self._head
        if headers.get("connection") == "close":
            self.keep = False
        if "chunked" in headers.get("transfer-encoding", ""):
            # Parsed once it ends as a whole one does, not again at every packet:
            body = _dechunk(buf, start) if buf.endswith(b"\r\n\r\n") else None
            if body is None and len(buf) - start > MAX_BODY:
                raise NoAnswer("the answer is too long")
            if body is None and eof:
                raise NoAnswer("the connection closed in the middle of the answer")
            return None if body is None else Answer(status, headers, body)
        length = headers.get("content-length")
        if length is not None:
            size = int(length) if length.isdigit() else -1
            if not 0 <= size <= MAX_BODY:
                raise NoAnswer("the answer's Content-Length is not usable")
            if len(buf) - start < size:
                if eof:
                    raise NoAnswer("the connection closed in the middle of the answer")
                return None
            if len(buf) - start > size:  # more than was announced: not reused
                self.keep = False
            return Answer(status, headers, bytes(buf[start : start + size]))
        if status in (204, 304):
            return Answer(status, headers, b"")
        self.keep = False  # the body runs to the connection's close
        if len(buf) - start > MAX_BODY:
            raise NoAnswer("the answer is too long")
        return Answer(status, headers, bytes(buf[start:])) if eof else None


_FRAMING = (b"content-length", b"transfer-encoding", b"connection")


def _head(raw: bytes, end: int) -> tuple[int, dict[str, str], int]:
    """The status and the framing headers (a repeated one: its first value)."""
    first, _, rest = raw.partition(b"\r\n")
    parts = first.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise NoAnswer("not an HTTP/1.x answer")
    status = int(parts[1])
    if status < 200:
        raise NoAnswer(f"an informational answer ({status}) where none was asked for")
    lowered = b"\r\n" + rest.lower()
    headers: dict[str, str] = {}
    for name in _FRAMING:
        at = lowered.find(b"\r\n" + name + b":")
        if at >= 0:
            start = at + len(name) + 3
            stop = lowered.find(b"\r\n", start)
            value = lowered[start : stop if stop >= 0 else len(lowered)]
            headers[name.decode()] = value.strip().decode("latin-1")
    if parts[0] == b"HTTP/1.0" and headers.get("connection") != "keep-alive":
        headers["connection"] = "close"
    return status, headers, end


def _dechunk(buf: bytearray, pos: int) -> bytes | None:
    """The body of a chunked answer starting at ``pos``; None while it is incomplete."""
    body = bytearray()
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size_text = bytes(buf[pos:eol]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise NoAnswer("a malformed chunked answer") from None
        if size == 0:
            return bytes(body) if buf.find(b"\r\n\r\n", eol) >= 0 else None  # trailers read
        start = eol + 2
        if len(buf) < start + size + 2:
            return None
        body += buf[start : start + size]
        pos = start + size + 2


class Pool:
    """Keep-alive connections to one origin (``scheme://host:port``), at most ``limit``."""

    def __init__(self, base: str, limit: int = 100, ssl_context: ssl.SSLContext | None = None):
        url = urlsplit(base)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("only http:// and https:// origins")
        self.host = url.hostname
        self.port = url.port or (443 if url.scheme == "https" else 80)
        https = url.scheme == "https"
        self.tls = (ssl_context or ssl.create_default_context()) if https else None
        default = self.port == (443 if self.tls else 80)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._authority = host if default else f"{host}:{self.port}"
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(limit)
        self._heads: dict[str, bytes] = {}

    def _request_head(self, path: str) -> bytes:
        head = self._heads.get(path)
        if head is None:
            if len(self._heads) > 64:
                self._heads.clear()
            head = self._heads[path] = (
                f"POST {path} HTTP/1.1\r\nHost: {self._authority}\r\n"
                "Content-Type: application/json\r\nAccept: */*\r\n"
                "User-Agent: digest-bot\r\nContent-Length: "
            ).encode("latin-1")
        return head

    async def _connect(self) -> _Connection:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
        loop, name = asyncio.get_running_loop(), self.host if self.tls else None
        try:
            _, conn = await loop.create_connection(
                _Connection, self.host, self.port, ssl=self.tls, server_hostname=name
            )
        except (OSError, ssl.SSLError) as exc:
            reason = exc.strerror or type(exc).__name__
            raise Unsent(f"cannot connect to {self._authority}: {reason}") from None
        return conn

    async def post(self, path: str, body: bytes, timeout: float) -> Answer:  # noqa: ASYNC109
        """POST ``body`` (JSON) to ``path``; the answer, or a :class:`WireError`, or
        ``TimeoutError`` after ``timeout`` seconds (the outcome is then unknown)."""
        async with self._slots:
            conn: _Connection | None = None
            try:
                async with asyncio.timeout(timeout):
                    conn = await self._connect()
                    head = self._request_head(path)
                    answer = await conn.request(b"%s%d\r\n\r\n%s" % (head, len(body), body))
            except TimeoutError:
                if conn is None:  # still connecting: nothing was written
                    raise Unsent(f"timed out connecting to {self._authority}") from None
                conn.close()
                raise
            except BaseException:
                if conn is not None:
                    conn.close()
                raise
            if conn.keep and not conn.closed:
                self._idle.append(conn)
            else:
                conn.close()
            return answer

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


class Origin:
    """Request URLs → (pool, path) for the first origin seen; None for any other URL
    (another origin, a query string, a scheme other than http/https)."""

    def __init__(self, limit: int, tls: ssl.SSLContext | None = None) -> None:
        self.limit = limit
        self.tls = tls
        self.pool: Pool | None = None
        self._origin = ""
        self._paths: dict[str, str] = {}

    def target(self, url: str) -> tuple[Pool, str] | None:
        path = self._paths.get(url)
        if path is None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or parts.query or parts.fragment:
                return None
            origin = f"{parts.scheme}://{parts.netloc}"
            if self.pool is None:
                self.pool, self._origin = Pool(origin, self.limit, self.tls), origin
            if origin != self._origin:
                return None
            if len(self._paths) > 64:
                self._paths.clear()
            path = self._paths[url] = url[len(origin) :] or "/"
        return (self.pool, path) if self.pool is not None else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        self.pool = None
        self._paths.clear()
