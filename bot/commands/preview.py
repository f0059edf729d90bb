"""`bot preview FILE`: the messages a chat with given topics would receive for an issue.

Renders with the same code the delivery engine uses, without Telegram and without
importing aiogram or the emulator: the text view is computed from our own HTML.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import click

from bot.commands.common import UnusableInput, read_digest_issue
from bot.commands.preview_out import check_out, write_out
from bot.i18n import LANGS
from bot.render.digest import Part, render_digest
from bot.render.entry import MODES, Mode
from bot.render.text import to_plain

CHANNELS = ("telegram", "email")
FORMATS = ("text", "html", "json", "eml")
FORMATS_OF = {"telegram": ("text", "html", "json"), "email": ("text", "html", "eml")}
MAX_TOPICS = 20
MAX_TOPIC_LEN = 32


def split_topics(values: tuple[str, ...], excludes: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Include and exclude terms: ``--topic=-招聘`` is an exclusion, like ``/topic -招聘``."""
    include: list[str] = []
    exclude = [x.strip() for x in excludes if x.strip()]
    for raw in values:
        term = raw.strip()
        if term.startswith("-") and term[1:].strip():
            exclude.append(term[1:].strip())
        elif term:
            include.append(term)
    if len(include) + len(exclude) > MAX_TOPICS:
        raise UnusableInput(f"at most {MAX_TOPICS} topics and exclusions are allowed")
    for term in (*include, *exclude):
        if len(term) > MAX_TOPIC_LEN:
            raise UnusableInput(f"topic {term[:40]!r} is longer than {MAX_TOPIC_LEN} characters")
    return include, exclude


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


def _listing(parts: list[Part], *, raw: bool) -> str:
    """Each part under a rule with its sizes, as plain text or as raw HTML."""
    blocks = []
    for index, part in enumerate(parts, start=1):
        rule = (
            f"── part {index}/{len(parts)} · {part.plain_len} chars · "
            f"{part.entity_count} entities · {_entries(len(part.entry_keys))} ──"
        )
        blocks.append(rule + "\n" + (part.html if raw else to_plain(part.html)[0]))
    return "\n\n".join(blocks)


def _json(parts: list[Part]) -> str:
    rows = [
        {
            "part": index,
            "plain_len": part.plain_len,
            "entity_count": part.entity_count,
            "entry_keys": list(part.entry_keys),
            "html": part.html,
        }
        for index, part in enumerate(parts, start=1)
    ]
    return json.dumps(rows, ensure_ascii=False, indent=2)


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--topic",
    "topics",
    multiple=True,
    metavar="TERM",
    help="A topic of the chat (repeatable): a catalogue topic (量化, quantization, INT8) "
    "or a free word; only matching entries are shown. `--topic=-招聘` excludes.",
)
@click.option(
    "--exclude",
    "excludes",
    multiple=True,
    metavar="TERM",
    help="Drop entries about TERM (a catalogue topic) or containing it (repeatable).",
)
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default="zh",
    show_default=True,
    help="Language of the bot's wording.",
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="full",
    show_default=True,
    help="Summary length: full, compact (one short line) or titles only.",
)
@click.option(
    "--full-text", is_flag=True, help="Keep summaries whole (long entries are cut across messages)."
)
@click.option(
    "--channel",
    type=click.Choice(CHANNELS),
    default="telegram",
    show_default=True,
    help="telegram: the chat's messages; email: the digest mail a subscriber gets.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: what the reader sees; html: the raw messages (email: the HTML part); "
    "json: messages with sizes (telegram); eml: the whole mail as sent (email).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the preview to this file instead of printing it.",
)
def preview(
    file: Path,
    topics: tuple[str, ...],
    excludes: tuple[str, ...],
    lang: str,
    mode: str,
    full_text: bool,
    channel: str,
    fmt: str,
    out: Path | None,
) -> None:
    """Show the messages a chat with these topics would receive for the issue in FILE.

    With --channel email: the digest mail a subscriber with these topics gets, as the
    text part, the HTML part or the whole RFC 5322 message (--format eml), addressed to
    reader@example.org, with links to BOT_PUBLIC_URL. It needs no BOT_SMTP_URL or
    BOT_SECRET_KEY: its links are signed with a fixed preview key and open nothing.
    """
    if fmt not in FORMATS_OF[channel]:
        raise UnusableInput(
            f"--format {fmt} does not apply to --channel {channel}; "
            f"use one of {', '.join(FORMATS_OF[channel])}"
        )
    if full_text and channel == "email":
        raise UnusableInput("--full-text applies to --channel telegram only (a mail is not split)")
    check_out(out)
    include, exclude = split_topics(topics, excludes)
    issue = read_digest_issue(file)
    if channel == "email":
        from bot.commands.preview_out import email_preview

        email_preview(issue, file, lang, include, exclude, cast(Mode, mode), fmt, out)
        return
    parts = render_digest(
        issue,
        lang=lang,
        include=include,
        exclude=exclude,
        mode=cast(Mode, mode),  # click.Choice(MODES) admits nothing else
        full_text=full_text,
    )
    if fmt == "json":
        write_out(_json(parts), out)
    elif not parts:
        click.echo(
            f"No entry of {file.name} matches these topics: this chat would get no message.",
            err=True,
        )
    else:
        write_out(_listing(parts, raw=fmt == "html"), out)
