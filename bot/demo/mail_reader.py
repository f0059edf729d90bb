"""The demo's e-mail reader: signs up on the demo's site, confirms over real HTTP from the
link in the confirmation mail, and gets the digest in the demo's mailbox.

The sign-up goes through the site's form (``POST /subscribe``) when the site has one,
else through :func:`bot.publishing.optin.subscribe` — what that form and
`bot email add` call. Everything after is what a reader does: open the mail, follow the
link (GET shows one button), press it (POST).
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

import aiohttp

from bot.config import Settings
from bot.demo.mailbox import Delivered, Mailbox
from bot.demo.show import RULE, clip, excerpt, indent, width
from bot.mail.mailer import Mailer, MailerError
from bot.publishing.optin import OptInError, subscribe
from bot.store.database import Database
from bot.store.subscribers import find_subscriber

WAIT: Final = 30.0
DIGEST_WAIT: Final = 30.0
HEADERS: Final = ("From", "To", "List-Unsubscribe", "List-Unsubscribe-Post", "Message-ID")
# Long signed tokens, shortened for the terminal (the HTML file and the mail keep them).
_TOKEN = re.compile(r"(/(?:confirm|unsubscribe|prefs)/)([\w.-]{12})[\w.-]+")
_VERP = re.compile(r"\bbounces\+[\w.-]+@")


class ReaderError(Exception):
    """The e-mail reader's story could not go on (one sentence)."""


@dataclass(frozen=True, slots=True)
class MailReader:
    address: str
    topics: tuple[str, ...]  # as typed on the form: catalogue names
    slugs: tuple[str, ...]  # the form's checkbox values
    lang: str = "zh"

    def label(self) -> str:
        return f"{self.address} (e-mail, topics: {', '.join(self.topics)})"


DORA: Final = MailReader("dora@example.org", ("量化",), ("quantization",))


def shorten(text: str) -> str:
    """Links with their tokens cut after 12 characters (the same from run to run), VERP
    addresses without theirs (they carry the day)."""
    return _VERP.sub("bounces+…@", _TOKEN.sub(lambda m: f"{m.group(1)}{m.group(2)}…", text))


def text_part(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return str(part.get_content()) if part is not None else ""


def html_part(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    return str(part.get_content()) if part is not None else ""


class _Form(HTMLParser):
    """The hidden fields (its form token) of the page's ``<form method=post>`` whose
    action is ``/subscribe`` — not the search box of the page's header."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            action = (found.get("action") or "").split("?")[0]
            post = (found.get("method") or "").lower() == "post"
            self.inside = post and action.endswith("/subscribe")
        elif tag == "input" and self.inside and found.get("type") == "hidden":
            self.hidden[found.get("name") or ""] = found.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


async def _form_sign_up(http: aiohttp.ClientSession, site: str, reader: MailReader) -> bool:
    """Sign up through ``/subscribe`` if the site has that form; False if it has none."""
    async with http.get(f"{site}/subscribe") as resp:
        if resp.status == 404:
            return False
        page = await resp.text()
    form = _Form()
    form.feed(page)
    fields = [(k, v) for k, v in form.hidden.items() if k]
    fields += [("email", reader.address), ("lang", reader.lang)]
    fields += [("topics", slug) for slug in reader.slugs]
    async with http.post(f"{site}/subscribe", data=fields) as resp:
        if resp.status != 200:
            raise ReaderError(f"the site answered {resp.status} to the sign-up form")
    return True


async def join(
    reader: MailReader,
    *,
    db: Database,
    settings: Settings,
    http: aiohttp.ClientSession,
    mailbox: Mailbox,
) -> list[str]:
    """Sign up, get the confirmation mail, confirm over HTTP; the lines that tell it."""
    site = str(settings.public_url)
    lines = []
    if await _form_sign_up(http, site, reader):
        lines.append(f"signed up on the site's form (POST {site}/subscribe)")
    else:
        try:
            mailer = Mailer.from_settings(settings)
        except MailerError as exc:
            raise ReaderError(f"e-mail cannot be sent: {exc}") from None
        try:
            await subscribe(db, mailer, reader.address, reader.topics, "zh", "web", detail="demo")
        except OptInError as exc:
            raise ReaderError(f"the sign-up failed: {exc}") from None
        finally:
            await mailer.close()
        lines.append("signed up (bot.publishing.optin.subscribe, as the site's form does)")
    mails = await asyncio.wait_for(mailbox.wait_for(reader.address, 1), WAIT)
    message = mails[0].message
    lines.append(f"got the confirmation mail “{message['Subject']}”")
    found = re.search(rf"{re.escape(site)}/confirm/\S+", text_part(message))
    if found is None:
        raise ReaderError("the confirmation mail has no confirmation link")
    link = found.group(0)
    async with http.get(link) as resp:
        if resp.status != 200 or 'method="post"' not in (await resp.text()).lower():
            raise ReaderError(f"the confirmation page answered {resp.status}")
    lines.append(f"opened {shorten(link)}: a page with one button (GET changes nothing)")
    async with http.post(link) as resp:
        if resp.status != 200:
            raise ReaderError(f"confirming answered {resp.status}")
    subscriber = await find_subscriber(db.reader, reader.address)
    status = subscriber.status if subscriber else "gone"
    lines.append(f"pressed it (POST): the subscriber is now {status}")
    return lines


def mail_block(reader: MailReader, mails: list[Delivered]) -> str:
    """The reader's mailbox: each mail's subject; the digest's headers, text part (an
    excerpt) and its HTML part saved as a file."""
    count = len(mails)
    head = f"{RULE * 2} {reader.label()} · {count} mail{'s' if count != 1 else ''} "
    out = [head + RULE * max(4, 80 - width(head))]
    folder: Path | None = None
    for n, got in enumerate(mails, start=1):
        message = got.message
        out.append(f"  [{n}/{count}] Subject: {message['Subject']}")
        if not message["List-Unsubscribe"]:  # the confirmation mail: shown above
            continue
        for name in HEADERS:
            # List-Unsubscribe: one URI a line, as the mail has it
            value = shorten(str(message[name])).replace(">, <", ">,\n" + " " * 18 + "<")
            out.extend(clip(f"    {line}") for line in f"{name}: {value}".splitlines())
        out.append("    ── text part ──")
        out.append(indent(excerpt(text_part(message), max_lines=10, max_chars=700), "      "))
        folder = folder or mail_folder()
        path = folder / f"mail-{n}.html"
        path.write_text(html_part(message), encoding="utf-8")
        out.append(f"    ── HTML part written to {path} (open it in a browser)")
    return "\n".join(out)


def mail_folder() -> Path:
    """Where the demo leaves the mails' HTML parts: kept after the demo ends."""
    return Path(tempfile.mkdtemp(prefix="digest-bot-demo-mail-"))


async def mailbox_block(mailbox: Mailbox, reader: MailReader = DORA) -> str:
    """The reader's mailbox once the digest arrived."""
    try:
        mails = await asyncio.wait_for(mailbox.wait_for(reader.address, 2), DIGEST_WAIT)
    except TimeoutError:
        mails = mailbox.of(reader.address)
    block = mail_block(reader, mails)
    if len(mails) < 2:
        block += f"\n    (no digest mail within {DIGEST_WAIT:.0f} s)"
    return block
