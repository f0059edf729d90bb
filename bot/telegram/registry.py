"""The one list of bot commands: the source of the `setMyCommands` menus and of /help.

A test checks that every command a router handles is listed here, so the menu,
/help and the handlers cannot drift apart. Descriptions live in the i18n catalogue
as ``commands.<name>`` (a test checks each command has one).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    admin: bool = False  # only for BOT_ADMINS; shown in their private menu only


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start"),
    CommandSpec("help"),
    CommandSpec("latest"),
    CommandSpec("search"),
    CommandSpec("topic"),
    CommandSpec("untopic"),
    CommandSpec("topics"),
    CommandSpec("issues"),
    CommandSpec("issue"),
    CommandSpec("settings"),
    CommandSpec("time"),
    CommandSpec("tz"),
    CommandSpec("quiet"),
    CommandSpec("thread"),
    CommandSpec("subscribe"),
    CommandSpec("unsubscribe"),
    CommandSpec("channel"),
    CommandSpec("stats", admin=True),
    CommandSpec("publish", admin=True),
)

BY_NAME: dict[str, CommandSpec] = {spec.name: spec for spec in COMMANDS}


def public_commands() -> tuple[str, ...]:
    return tuple(spec.name for spec in COMMANDS if not spec.admin)


def admin_commands() -> tuple[str, ...]:
    return tuple(spec.name for spec in COMMANDS if spec.admin)
