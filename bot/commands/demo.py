"""`bot demo`: the end-to-end demo on the in-process emulator (no token, no network)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import click

from bot.commands.common import CommandFailed, UnusableInput

# Package data: bot/seeds is a committed symlink to the top-level seeds/ folder, copied
# into the wheel like bot/templates (see bot/render/env.py), so an installed `bot demo`
# has its issue too.
SEED = Path(__file__).resolve().parent.parent / "seeds" / "2021-01-05.md"


@click.command(name="demo")
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Keep the demo's database in this file (default: a temporary one, "
    "removed afterwards). Never use your real bot's database.",
)
@click.option(
    "--issue",
    "issue",
    type=click.Path(path_type=Path, dir_okay=False),
    default=SEED,
    show_default="seeds/2021-01-05.md",
    help="The issue file to publish.",
)
@click.option("--verbose", is_flag=True, help="Also print the daemon's log lines (stderr).")
@click.option(
    "--serve",
    is_flag=True,
    help="Afterwards keep the emulator, the bot, the site and the mailboxes up until Ctrl-C.",
)
def demo(db_path: Path | None, issue: Path, verbose: bool, serve: bool) -> None:
    """Show the whole bot working, with no token and no network.

    Starts the Telegram Bot API emulator in this process, runs the real `bot run`
    daemon against it, has four chats join (one without topics, one following 量化,
    one following NCNN, a group) and an e-mail reader sign up on the site (following
    量化, confirmed over HTTP from the link in the mail an in-process SMTP server got),
    publishes the seed issue, and prints what each reader received and the answer to
    /search 量化. Prints the local URL of the public site. Takes well under a minute.
    """
    if db_path is not None and db_path.exists():
        raise UnusableInput(f"{db_path} already exists; the demo wants a new database file")
    from bot.demo.scenario import DemoError, run_demo  # aiogram: a few seconds to import
    from bot.issuefile import IssueFileError
    from bot.logs import setup_logging
    from bot.store.base import StoreError

    setup_logging("INFO" if verbose else "ERROR", "kv")
    try:
        with tempfile.TemporaryDirectory(prefix="digest-bot-demo-") as tmp:
            asyncio.run(run_demo(db_path or Path(tmp) / "demo.sqlite3", issue, serve=serve))
    except IssueFileError as exc:
        raise UnusableInput(str(exc).rstrip(".")) from None
    except (DemoError, StoreError) as exc:
        raise CommandFailed(f"the demo failed: {exc}") from None
