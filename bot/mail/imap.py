"""Polling an IMAP mailbox for bounce reports (``BOT_BOUNCE_IMAP_URL``).

For a domain whose MX we do not run: its mailbox for ``bounces+*@domain`` is read with
the standard library's ``imaplib`` (in a thread; no extra dependency). Each poll logs in,
selects the mailbox, and for every message not yet seen nor deleted (and under 5 MB,
like the SMTP receiver's limit; a bigger one is left alone): fetches it without
marking it read (``BODY.PEEK[]``), reads it with
:func:`bot.mail.unsubscribe_mail.read_received` (a bounce, a complaint, or a reader's
unsubscribe request sent to List-Unsubscribe's mailto), awaits the callback (which
records it), and only **after** the callback returned marks it ``\\Deleted`` (expunged
at the end of the poll). A message whose callback failed is left as it was and read
again at the next poll (recording is idempotent). A message that is none of these (an
auto-reply, a person writing) is marked ``\\Seen`` and left for a human.

``imaps://`` is implicit TLS (port 993, certificates verified), ``imap://`` plain (port
143; for a server on the same host only). The password is a secret: it never appears in
logs, errors or ``repr``.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import ssl
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

from bot.mail.receiver import MAX_REPORT, OnBounce
from bot.mail.tokens import Tokens
from bot.mail.unsubscribe_mail import read_received

PER_POLL: Final = 200  # messages read per poll; the rest wait for the next one
TIMEOUT: Final = 30.0
log = logging.getLogger("bot.mail.imap")


class ImapError(Exception):
    """The mailbox cannot be read (refused login, unknown mailbox, network): one sentence."""


@dataclass(frozen=True, slots=True)
class ImapUrl:
    host: str
    port: int
    tls: bool
    user: str
    password: SecretStr = field(repr=False)
    mailbox: str

    @classmethod
    def parse(cls, value: str) -> ImapUrl:
        """``imaps://user:pass@host[:993]/INBOX`` (the mailbox defaults to INBOX)."""
        try:
            parts = urlsplit(value.strip())
            port = parts.port
        except ValueError:
            raise ImapError("BOT_BOUNCE_IMAP_URL is not a valid URL") from None
        scheme = parts.scheme.lower()
        if scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise ImapError("BOT_BOUNCE_IMAP_URL must look like imaps://user:pass@host:993/INBOX")
        tls = scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=port or (993 if tls else 143),
            tls=tls,
            user=unquote(parts.username),
            password=SecretStr(unquote(parts.password or "")),
            mailbox=unquote(parts.path.strip("/")) or "INBOX",
        )

    @property
    def shown(self) -> str:
        """For logs: no password."""
        return f"{'imaps' if self.tls else 'imap'}://{self.user}@{self.host}:{self.port}/{self.mailbox}"


@dataclass
class PollResult:
    recorded: int = 0  # reports handed to the callback, then deleted
    ignored: int = 0  # not bounce reports: marked seen, left in the mailbox
    failed: int = 0  # the callback failed: left unseen, read again next time


class ImapPoller:
    """Reads ``url`` every ``every`` seconds and hands each report to ``on_bounce``."""

    def __init__(
        self, url: ImapUrl, tokens: Tokens, on_bounce: OnBounce, *, every: float = 60.0
    ) -> None:
        self.url, self.tokens, self.on_bounce, self.every = url, tokens, on_bounce, every
        self.polls = 0

    def _open(self) -> imaplib.IMAP4:
        url = self.url
        try:
            conn: imaplib.IMAP4
            if url.tls:
                context = ssl.create_default_context()
                conn = imaplib.IMAP4_SSL(url.host, url.port, ssl_context=context, timeout=TIMEOUT)
            else:
                conn = imaplib.IMAP4(url.host, url.port, timeout=TIMEOUT)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"cannot connect to {url.shown}: {exc}") from None
        try:
            conn.login(url.user, url.password.get_secret_value())
        except imaplib.IMAP4.error:
            conn.shutdown()
            raise ImapError(f"{url.shown} refused the login of {url.user}") from None
        typ, _ = conn.select(_quoted(url.mailbox))
        if typ != "OK":
            conn.logout()
            raise ImapError(f"{url.shown}: no mailbox {url.mailbox!r}")
        return conn

    async def poll_once(self) -> PollResult:
        """One poll: every unseen message read, recorded, deleted (see the module)."""
        result = PollResult()
        try:
            conn = await asyncio.to_thread(self._open)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"cannot read {self.url.shown}: {exc}") from None
        try:
            wanted = f"UNSEEN UNDELETED SMALLER {MAX_REPORT + 1}"  # a bigger one is no DSN
            typ, data = await asyncio.to_thread(conn.uid, "SEARCH", wanted)
            uids = data[0].split()[:PER_POLL] if typ == "OK" and data and data[0] else []
            for uid in uids:
                await self._one(conn, uid.decode("ascii"), result)
            if result.recorded:
                await asyncio.to_thread(conn.expunge)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"lost {self.url.shown}: {exc}") from None
        finally:
            await asyncio.to_thread(_close, conn)
        self.polls += 1
        return result

    async def _one(self, conn: imaplib.IMAP4, uid: str, result: PollResult) -> None:
        typ, data = await asyncio.to_thread(conn.uid, "FETCH", uid, "(BODY.PEEK[])")
        raw = next((p[1] for p in data if isinstance(p, tuple) and len(p) == 2), None)
        if typ != "OK" or not isinstance(raw, bytes):
            return
        try:
            bounce = read_received(raw, self.tokens)
        except Exception:  # a malformed message must not stop the mailbox being read
            log.warning("event=bounce_unreadable source=imap size=%d", len(raw))
            bounce = None
        if bounce is None:
            result.ignored += 1
            await asyncio.to_thread(conn.uid, "STORE", uid, "+FLAGS", "(\\Seen)")
            return
        try:
            await self.on_bounce(bounce)
        except Exception:
            log.exception("event=bounce_callback_failed source=imap kind=%s", bounce.kind)
            result.failed += 1
            return
        await asyncio.to_thread(conn.uid, "STORE", uid, "+FLAGS", "(\\Deleted)")
        result.recorded += 1

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop``; a failed poll is logged (one line) and tried again later."""
        while not stop.is_set():
            try:
                found = await self.poll_once()
                if found.recorded or found.ignored or found.failed:
                    log.info(
                        "event=imap.polled mailbox=%s recorded=%d ignored=%d failed=%d",
                        self.url.shown,
                        found.recorded,
                        found.ignored,
                        found.failed,
                    )
            except ImapError as exc:
                log.warning("event=imap.failed error=%s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every)


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _close(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (OSError, imaplib.IMAP4.error):
        conn.shutdown()
