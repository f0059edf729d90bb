"""`bot demo --serve`: after the story, keep the emulator, the bot and the site up until
Ctrl-C (SIGINT) or SIGTERM, then stop in order like `bot run` does."""

from __future__ import annotations

import asyncio
import signal
import sys

from bot.config import Settings
from bot.demo.mailbox import Delivered, Mailbox


def _say(line: str) -> None:
    print(line, flush=True)


def _arrived(got: Delivered) -> None:
    _say(f"  mail to {got.recipient}: {got.message['Subject']}")
    body = got.message.get_body(("plain",))
    text = str(body.get_content()) if body is not None else ""
    links = [w for w in text.split() if "/confirm/" in w or "/unsubscribe/" in w]
    for link in links[:2]:
        _say(f"    {link}")
    if not links:
        _say(f"    ({len(got.data):,} bytes)")


async def serve_until_interrupted(settings: Settings, emulator: str, mailbox: Mailbox) -> None:
    """Print where everything is, then wait for SIGINT/SIGTERM; mails that arrive
    meanwhile (a sign-up on the site) are shown with their links."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    mailbox.on_mail = _arrived
    _say("Serving until Ctrl-C:")
    _say(f"  the public site      {settings.public_url}/")
    _say(f"  the Bot API emulator {emulator}")
    _say(f"  the mailboxes (SMTP) 127.0.0.1:{mailbox.port}: mail that arrives is shown here")
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        mailbox.on_mail = None
    _say("Stopping: the bot finishes its sends, then the site and the emulator close.")
    sys.stdout.flush()
