"""A real SMTP server on 127.0.0.1 for the mail tests: aiosmtpd's Controller (its own thread
and loop) with a handler that records what it receives, counts connections, and can
refuse recipients (550 / 451) or drop the connection when told to."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    session: int
    at: float = field(default_factory=time.monotonic)  # when DATA was accepted


@dataclass
class Recorder:
    """What the server got; ``refuse_rcpt[address]`` answers RCPT with that reply (a
    list is used up reply by reply, then the address is accepted); ``refuse_data`` the same
    after DATA; ``drop_in_data`` closes the connection instead of answering DATA (the
    message did arrive); ``drop_after_data`` closes it just after answering 250."""

    received: list[Received] = field(default_factory=list)
    refuse_rcpt: dict[str, list[str]] = field(default_factory=dict)
    refuse_data: dict[str, list[str]] = field(default_factory=dict)
    sessions: list[object] = field(default_factory=list)
    drop_in_data: bool = False
    drop_after_data: bool = False
    dropped: threading.Event = field(default_factory=threading.Event)
    stall_data: bool = False  # hold the answer to DATA (until the client gives up)
    in_data: threading.Event = field(default_factory=threading.Event)

    def _session(self, session: object) -> int:
        if not any(s is session for s in self.sessions):
            self.sessions.append(session)
        return next(i for i, s in enumerate(self.sessions) if s is session)

    @property
    def connections(self) -> int:
        return len(self.sessions)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self._session(session)
        replies = self.refuse_rcpt.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        index = self._session(session)
        if self.stall_data:
            self.stall_data = False
            self.in_data.set()
            await asyncio.sleep(1)
        for rcpt in envelope.rcpt_tos:
            replies = self.refuse_data.get(rcpt)
            if replies:
                return replies.pop(0)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, index)
        )
        if self.drop_in_data:
            self.drop_in_data = False
            server.transport.close()
            self.dropped.set()
            return "250 OK (never heard)"
        if self.drop_after_data:
            self.drop_after_data = False

            def close() -> None:
                server.transport.close()
                self.dropped.set()

            asyncio.get_running_loop().call_later(0.05, close)
        return "250 2.0.0 Ok: queued"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Sink:
    handler: Recorder
    port: int

    def url(self, userinfo: str = "") -> str:
        return f"smtp://{userinfo}127.0.0.1:{self.port}?starttls=0&timeout=5"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        b"digest",
        b"s3cret p@ss:word",
    )
    return AuthResult(success=ok, handled=False)  # handled=False: answer 535 when not ok


@pytest.fixture
def smtp_sink() -> Iterator[Sink]:
    """A recording SMTP server on 127.0.0.1 (AUTH LOGIN/PLAIN as digest / s3cret p@ss:word
    is offered but not required)."""
    handler = Recorder()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
        auth_require_tls=False,
        auth_required=False,
    )
    controller.start()
    try:
        yield Sink(handler, port)
    finally:
        controller.stop()


def text_part(data: bytes) -> str:
    """The text/plain part of a received message."""
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]
