"""The `bot` command line: a click group whose commands are imported on first use.

Commands that never talk to Telegram (parse, lint, search, preview, ...) must
not pay aiogram's import cost, so each command lives in its own module under
``bot.commands`` and is only imported when it runs. Short help is kept here so
that ``bot --help`` imports nothing heavy either.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

import click

from bot.logs import install_excepthook, register_secret

# name -> (module:attribute, short help)
COMMANDS: dict[str, tuple[str, str]] = {
    "parse": ("bot.commands.digest:parse", "Parse digest issues into entries (JSON or text)."),
    "lint": ("bot.commands.digest:lint", "Check digest issues for mistakes before release."),
    "import": ("bot.commands.archive:import_", "Ingest issue files or folders into the archive."),
    "publish": ("bot.commands.publish:publish", "Lint, ingest and deliver a released issue."),
    "schedule": ("bot.commands.schedule:schedule", "List or cancel scheduled publishes."),
    "unpublish": ("bot.commands.unpublish:unpublish", "Withdraw an issue and its messages."),
    "issues": ("bot.commands.archive:issues", "List the issues in the archive."),
    "search": ("bot.commands.archive:search", "Search every entry of the archive."),
    "preview": ("bot.commands.preview:preview", "Show the messages a chat would receive."),
    "deliveries": ("bot.commands.delivery:deliveries", "List pending or failed deliveries."),
    "stats": ("bot.commands.delivery:stats", "Subscribers, deliveries and failures."),
    "emulator": ("bot.commands.emulator:emulator", "Run the local Telegram Bot API emulator."),
    "run": ("bot.commands.run:run", "Run the bot: updates, scheduler and sender."),
    "demo": ("bot.commands.demo:demo", "End-to-end demo on the emulator (no token, no network)."),
    "email": (
        "bot.commands.email:email",
        "E-mail subscribers: add, remove, list, import, export, test.",
    ),
    "db": ("bot.commands.db:db", "Database maintenance: init, check, backup."),
    "topics": (
        "bot.commands.topics:topics",
        "Topic catalogue: list, match, explain issues; retag.",
    ),
}


def _available(name: str) -> bool:
    module = COMMANDS[name][0].split(":")[0]
    return importlib.util.find_spec(module) is not None


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not _available(cmd_name):
            return None
        module_name, attr = COMMANDS[cmd_name][0].split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="digest-bot", prog_name="bot")
def main() -> None:
    """digest-bot: delivers the 嵌入式AI简报 (Embedded AI digest) to Telegram readers.

    Settings come from the environment or a .env file (see deploy/.env.example).
    """
    # A crash's traceback is printed redacted: an error page may echo the token.
    install_excepthook()
    register_secret(os.environ.get("BOT_TOKEN"))
