"""The demo's mail server: an SMTP sink on 127.0.0.1 that keeps every message it is given.

It is what `bot demo` sets as BOT_SMTP_URL, so the bot's mail goes over real SMTP
(aiosmtplib → aiosmtpd) to readers' mailboxes that live in this process. It runs on the
demo's event loop, as the bounce receiver runs on `bot run`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Final

from aiosmtpd.smtp import SMTP, Envelope, Session

MAX_MAIL: Final = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Delivered:
    """One message as the receiving server got it."""

    mail_from: str
    recipient: str
    message: EmailMessage
    data: bytes


class Mailbox:
    """aiosmtpd handler: accepts every recipient, keeps each message per recipient, and
    tells ``on_mail`` (when set) about each one as it arrives."""

    def __init__(self) -> None:
        self.received: list[Delivered] = []
        self.arrived = asyncio.Event()
        self.on_mail: Callable[[Delivered], None] | None = None
        self.server: asyncio.Server | None = None
        self.port = 0

    def of(self, recipient: str) -> list[Delivered]:
        return [m for m in self.received if m.recipient == recipient]

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content: Any = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)  # policy.default makes EmailMessage
        for rcpt in envelope.rcpt_tos:
            got = Delivered(str(envelope.mail_from), rcpt.lower(), message, data)
            self.received.append(got)
            if self.on_mail is not None:
                self.on_mail(got)
        self.arrived.set()
        return "250 2.0.0 OK: delivered to the demo's mailbox"

    async def start(self) -> str:
        """Listen on a free loopback port; returns the BOT_SMTP_URL that reaches it."""
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            return SMTP(
                self,
                hostname="mail.demo.localhost",
                data_size_limit=MAX_MAIL,
                ident="digest-bot demo mailbox",
            )

        self.server = await loop.create_server(protocol, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return f"smtp://127.0.0.1:{self.port}"

    async def wait_for(self, recipient: str, count: int) -> list[Delivered]:
        """Once ``recipient`` has ``count`` messages: them (the caller bounds the wait)."""
        while len(self.of(recipient)) < count:
            self.arrived.clear()
            await self.arrived.wait()
        return self.of(recipient)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
