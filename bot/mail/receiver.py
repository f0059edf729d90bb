"""Receiving bounces ourselves: an SMTP server for ``bounces+*@domain`` (``BOT_BOUNCE_LISTEN``).

The MTA that relays our mail (or the domain's MX) hands DSNs and ARF reports addressed
to the VERP envelope sender to this server, and the readers' unsubscribe requests sent to
List-Unsubscribe's mailto (the same address). :class:`BounceHandler` accepts only
``bounces+…@<domain>`` at RCPT (550 otherwise, so it is no open relay and no inbox),
reads each message with :func:`bot.mail.unsubscribe_mail.read_received` (a bounce, a
complaint or an unsubscribe request), and awaits the callback with every result. If
the callback fails (the database is busy), the answer is 451 and the MTA delivers the
report again later, so no bounce is lost.

:func:`start_receiver` runs it on the caller's event loop (``bot run``'s), not on a
thread of its own, so the callback can use the loop's resources directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.mail.bounces import Bounce
from bot.mail.tokens import VERP_PREFIX, Tokens
from bot.mail.unsubscribe_mail import read_received

MAX_REPORT: Final = 5 * 1024 * 1024  # DSNs carry at most the original message
log = logging.getLogger("bot.mail.receiver")

OnBounce = Callable[[Bounce], Awaitable[None]]


class ListenError(ValueError):
    """``BOT_BOUNCE_LISTEN`` is not ``host:port``."""


def parse_listen(value: str) -> tuple[str, int]:
    """``127.0.0.1:2526`` or ``[::1]:2526`` → (host, port)."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ListenError(
            f"BOT_BOUNCE_LISTEN must be host:port, like 127.0.0.1:2526, not {value!r}"
        )
    return host, int(port)


class BounceHandler:
    """aiosmtpd handler: accepts reports for ``bounces+*@domain``, hands results to
    ``on_bounce``; ``ignored`` counts accepted messages that reported nothing."""

    def __init__(self, tokens: Tokens, domain: str, on_bounce: OnBounce) -> None:
        self.tokens = tokens
        self.domain = domain.lower()
        self.on_bounce = on_bounce
        self.ignored = 0

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        local, _, domain = address.rpartition("@")
        if domain.lower() != self.domain or not local.lower().startswith(VERP_PREFIX):
            return "550 5.1.1 No such mailbox here: only bounce reports are accepted"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content: Any = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode("utf-8", "replace")
        try:
            bounce = read_received(data, self.tokens, envelope_recipients=envelope.rcpt_tos)
        except Exception:  # a malformed report must not make the MTA retry it forever
            log.warning("event=bounce_unreadable size=%d", len(data))
            self.ignored += 1
            return "250 2.0.0 OK (unreadable report ignored)"
        if bounce is None:
            self.ignored += 1
            return "250 2.0.0 OK (not a bounce report nor an unsubscribe request)"
        try:
            await self.on_bounce(bounce)
        except Exception:
            log.exception("event=bounce_callback_failed kind=%s", bounce.kind)
            return "451 4.3.0 Could not record the report, please try again later"
        return "250 2.0.0 OK"


async def start_receiver(
    handler: BounceHandler, listen: str, *, hostname: str | None = None
) -> asyncio.Server:
    """Serve ``handler`` on ``listen`` (``host:port``) on the running loop; the caller
    closes the returned server (``server.close(); await server.wait_closed()``)."""
    host, port = parse_listen(listen)
    loop = asyncio.get_running_loop()

    def protocol() -> SMTP:
        return SMTP(
            handler,
            hostname=hostname,
            data_size_limit=MAX_REPORT,
            enable_SMTPUTF8=True,
            ident="digest-bot bounce receiver",
        )

    return await loop.create_server(protocol, host, port)
