"""SMTP delivery: the URL, a small pool of reused connections, per-recipient outcomes, rates.

``send(data, sender, recipient)`` speaks MAIL / RCPT / DATA itself (one recipient per
message) so it knows exactly which answer it got, and returns an :class:`Outcome`:

- ``sent``: 250 after DATA — and only then;
- ``retry``: a 4xx answer (the server's code and text kept), a connection that failed or
  timed out (``uncertain`` when the message's DATA had been sent: it may have arrived),
  or a refusal of our own sender at MAIL FROM (our problem, never the subscriber's);
- ``bounce``: a 5xx answer at RCPT or after DATA — a hard bounce, never retried.

Connections are reused (at most ``size`` at a time); one that the server dropped while
idle is reopened before the message is retried on it, which is safe because nothing of
the message had been sent. A rate limiter spaces messages at ``rate`` per second (one for
the pool, and optionally one per recipient domain); a slot is given back when no server
answered, so failed connections do not eat the rate.

The password is a ``SecretStr``: :class:`SmtpUrl`'s ``repr``/``str``, every error and
every outcome show ``***`` instead.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

import aiosmtplib
from pydantic import SecretStr

from bot.mail.address import domain_of
from bot.mail.dkim import DkimSigner
from bot.mail.message import Outgoing

Status = Literal["sent", "retry", "bounce"]
Stage = Literal["connect", "mail", "rcpt", "data"]
TlsMode = Literal["none", "starttls", "opportunistic", "implicit"]
DEFAULT_TIMEOUT: Final = 30.0
MAX_TEXT: Final = 300
_ENHANCED = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})\b")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SmtpUrlError(ValueError):
    """``BOT_SMTP_URL`` cannot be used (one sentence; never the password)."""


@dataclass(frozen=True, slots=True)
class SmtpUrl:
    """``smtp://user:pass@host:587?starttls=1``, ``smtps://user:pass@host:465``,
    ``smtp://127.0.0.1:2525`` (plain, tests and local relays). Options:
    ``starttls=1|0`` (default: use it if the server offers it), ``timeout=SECONDS``."""

    host: str
    port: int
    username: str | None = None
    password: SecretStr | None = field(default=None, repr=False)
    tls: TlsMode = "opportunistic"
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def parse(cls, url: str) -> SmtpUrl:
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise SmtpUrlError(
                "BOT_SMTP_URL is not a URL like smtp://user:pass@host:587?starttls=1"
            ) from None
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps"):
            raise SmtpUrlError("BOT_SMTP_URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise SmtpUrlError("BOT_SMTP_URL has no host name")
        options = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        unknown = options.keys() - {"starttls", "timeout"}
        if unknown:
            raise SmtpUrlError(f"BOT_SMTP_URL has unknown options: {', '.join(sorted(unknown))}")
        tls: TlsMode = "implicit" if scheme == "smtps" else "opportunistic"
        if "starttls" in options:
            flag = options["starttls"]
            if flag not in _TRUE | _FALSE or scheme == "smtps":
                raise SmtpUrlError("starttls must be 1 or 0, and only with smtp://")
            tls = "starttls" if flag in _TRUE else "none"
        timeout = DEFAULT_TIMEOUT
        if "timeout" in options:
            try:
                timeout = float(options["timeout"])
            except ValueError:
                timeout = -1
            if not 0 < timeout <= 600:
                raise SmtpUrlError("timeout must be a number of seconds between 0 and 600")
        user = unquote(parts.username) if parts.username else None
        password = SecretStr(unquote(parts.password)) if parts.password is not None else None
        if password is not None and not user:
            raise SmtpUrlError("BOT_SMTP_URL has a password but no user name")
        default_port = 465 if scheme == "smtps" else (587 if tls == "starttls" else 25)
        return cls(parts.hostname, port or default_port, user, password, tls, timeout)

    def __str__(self) -> str:
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        auth = f"{quote(self.username, safe='')}:***@" if self.username else ""
        query = {"starttls": "?starttls=1", "none": "?starttls=0"}.get(self.tls, "")
        return f"{scheme}://{auth}{self.host}:{self.port}{query}"

    def __repr__(self) -> str:
        return f"SmtpUrl({self})"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer to one message: ``status``, the server's ``code`` and ``text`` (None
    when no server answered), the ``stage`` it came at, and whether a lost connection
    after DATA may have delivered it anyway (``uncertain``)."""

    status: Status
    stage: Stage | None
    code: int | None
    text: str
    uncertain: bool = False

    @property
    def sent(self) -> bool:
        return self.status == "sent"

    @property
    def enhanced(self) -> str | None:
        """The RFC 3463 status in the server's text (``5.1.1``), if it gave one: the
        caller can tell a dead mailbox (5.1.x, 5.2.x) from a policy refusal (5.7.x) that
        may be about us, e.g. to stop sending when many recipients get the same 5.7.x."""
        match = _ENHANCED.match(self.text)
        return match.group(1) if match else None


def _text(message: str) -> str:
    return " ".join(str(message).split())[:MAX_TEXT]


def _answer(code: int, message: str, stage: Stage) -> Outcome:
    if 200 <= code < 300:
        return Outcome("sent", stage, code, _text(message))
    if 500 <= code < 600 and stage in ("rcpt", "data"):
        return Outcome("bounce", stage, code, _text(message))
    return Outcome("retry", stage, code, _text(message))


class RateLimiter:
    """At most ``rate`` acquisitions per second, evenly spaced (GCRA with ``burst``).

    ``refund()`` gives the last slot back (no server answered, so nothing was counted).
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.interval = 1.0 / rate
        self._tolerance = self.interval * (max(burst, 1) - 1)
        self._clock = clock
        self._sleep = sleep
        self._tat = 0.0  # theoretical arrival time of the next slot

    async def acquire(self) -> None:
        now = self._clock()
        start = max(self._tat, now)
        self._tat = start + self.interval
        wait = start - self._tolerance - now
        if wait > 0:
            await self._sleep(wait)

    def refund(self) -> None:
        self._tat = max(self._tat - self.interval, self._clock())


@dataclass(slots=True)
class PoolStats:
    connections: int = 0  # opened, in total
    reconnects: int = 0  # idle connections found dropped and reopened
    sent: int = 0
    retry: int = 0
    bounce: int = 0


class _Dropped(Exception):
    """A reused connection turned out closed before anything of the message was sent."""


class SmtpPool:
    """Up to ``size`` reused SMTP connections to the server of ``url``.

    ``rate``: messages per second for the pool (``BOT_MAIL_RATE``); ``domain_rates``:
    optional per-recipient-domain limits (``{"gmail.com": 5}``); ``max_per_connection``
    recycles a connection after that many messages (servers limit it too).
    """

    def __init__(
        self,
        url: SmtpUrl,
        *,
        size: int = 3,
        rate: float = 10.0,
        domain_rates: Mapping[str, float] | None = None,
        max_per_connection: int = 100,
        local_hostname: str | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("the pool needs at least one connection")
        self.url = url
        self.size = size
        self.rate = rate
        self.stats = PoolStats()
        self._slots = asyncio.Semaphore(size)
        self._idle: list[tuple[aiosmtplib.SMTP, int]] = []
        self._limiter = RateLimiter(rate)
        self._domain_limiters = {d.lower(): RateLimiter(r) for d, r in (domain_rates or {}).items()}
        self._max_per_connection = max_per_connection
        self._local_hostname = local_hostname
        self._tls_context = tls_context
        self._closed = False

    def __repr__(self) -> str:
        return f"SmtpPool({self.url}, size={self.size})"

    async def __aenter__(self) -> SmtpPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _open(self) -> aiosmtplib.SMTP:
        url = self.url
        client = aiosmtplib.SMTP(
            hostname=url.host,
            port=url.port,
            timeout=url.timeout,
            use_tls=url.tls == "implicit",
            start_tls={"starttls": True, "none": False}.get(url.tls),
            local_hostname=self._local_hostname,
            tls_context=self._tls_context,
        )
        await client.connect()
        self.stats.connections += 1
        if url.username:
            password = url.password.get_secret_value() if url.password else ""
            try:
                await client.login(url.username, password)
            except BaseException:
                client.close()
                raise
        return client

    async def _reset(self, client: aiosmtplib.SMTP) -> bool:
        """RSET after a refused message, so the connection can carry the next one."""
        try:
            await client.rset()
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            return False
        return True

    async def send(self, data: bytes, sender: str, recipient: str) -> Outcome:
        """Send ``data`` (the whole message, CRLF) from ``sender`` (the envelope sender,
        VERP) to the single ``recipient``, and say what the server answered."""
        if self._closed:
            raise RuntimeError("the SMTP pool is closed")
        # Wait for the rates before taking a connection: a slow domain's queue must not
        # hold connections the other domains' mail could use.
        domain_limiter = self._domain_limiters.get(domain_of(recipient))
        if domain_limiter is not None:
            await domain_limiter.acquire()
        await self._limiter.acquire()
        async with self._slots:
            outcome = await self._send(data, sender, recipient)
        if outcome.code is None:  # no server answered: the slot was not used
            self._limiter.refund()
            if domain_limiter is not None:
                domain_limiter.refund()
        setattr(self.stats, outcome.status, getattr(self.stats, outcome.status) + 1)
        return outcome

    async def deliver(self, message: Outgoing, signer: DkimSigner | None = None) -> Outcome:
        """Send a built message (DKIM-signed when ``signer`` is given) from its VERP
        envelope sender to its recipient."""
        return await self.send(message.payload(signer), message.envelope_sender, message.recipient)

    async def _send(self, data: bytes, sender: str, recipient: str) -> Outcome:
        reused = self._idle.pop() if self._idle else None
        if reused is not None:
            client, count = reused
            try:
                outcome, keep = await self._transaction(client, data, sender, recipient, True)
            except _Dropped:
                client.close()
                self.stats.reconnects += 1
            except BaseException:  # cancelled mid-exchange: the session state is unknown
                client.close()
                raise
            else:
                await self._release(client, count + 1, keep)
                return outcome
        try:
            client = await self._open()
        except aiosmtplib.SMTPResponseException as exc:  # a greeting/EHLO/AUTH refusal
            return Outcome("retry", "connect", exc.code, _text(exc.message))
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            return Outcome("retry", "connect", None, _text(f"cannot connect to {self.url}: {exc}"))
        try:
            outcome, keep = await self._transaction(client, data, sender, recipient, False)
        except BaseException:  # cancelled mid-exchange: the session state is unknown
            client.close()
            raise
        await self._release(client, 1, keep)
        return outcome

    async def _release(self, client: aiosmtplib.SMTP, count: int, keep: bool) -> None:
        if keep and not self._closed and count < self._max_per_connection:
            self._idle.append((client, count))
        else:
            await self._quit(client)

    async def _quit(self, client: aiosmtplib.SMTP) -> None:
        try:
            if client.is_connected:
                await client.quit()
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            client.close()

    async def _transaction(
        self, client: aiosmtplib.SMTP, data: bytes, sender: str, recipient: str, reused: bool
    ) -> tuple[Outcome, bool]:
        """One MAIL/RCPT/DATA exchange: its outcome, and whether the connection is reusable."""
        stage: Stage = "mail"
        try:
            if reused and not client.is_connected:
                raise _Dropped
            try:
                await client.mail(sender)
            except aiosmtplib.SMTPServerDisconnected:
                if reused:
                    raise _Dropped from None
                raise
            except aiosmtplib.SMTPResponseException as exc:
                if reused and exc.code == 421:  # closed while idle: "421 timeout, bye"
                    raise _Dropped from None
                raise
            stage = "rcpt"
            await client.rcpt(recipient)
            stage = "data"
            response = await client.data(data)
        except _Dropped:
            raise
        except aiosmtplib.SMTPResponseException as exc:
            outcome = _answer(exc.code, exc.message, stage)
            if exc.code == 421:  # the server is closing this connection
                client.close()
                return outcome, False
            return outcome, await self._reset(client)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            timed_out = isinstance(exc, TimeoutError | aiosmtplib.SMTPTimeoutError)
            what = "timed out" if timed_out else "lost"
            return (
                Outcome(
                    "retry",
                    stage,
                    None,
                    _text(f"connection {what} at {stage.upper()}: {exc}"),
                    uncertain=stage == "data",
                ),
                False,
            )
        return _answer(response.code, response.message, "data"), True

    async def close(self) -> None:
        """Quit every idle connection; later sends are refused."""
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(self._quit(client) for client, _ in idle))
