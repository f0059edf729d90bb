"""Where `bot preview` puts what it renders: stdout, or a file written whole (``--out``),
and the e-mail preview's settings (BOT_PUBLIC_URL, BOT_MAIL_FROM, BOT_MAIL_REPLY_TO)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from bot.commands.common import CommandFailed, UnusableInput
from bot.digest.model import Issue
from bot.render.entry import Mode


def check_out(out: Path | None) -> None:
    """Refuse an ``--out`` that cannot be written, before anything is rendered."""
    if out is None:
        return
    if not out.parent.is_dir():
        raise UnusableInput(f"cannot write {out}: the folder {out.parent} does not exist")
    if out.is_dir():
        raise UnusableInput(f"cannot write {out}: it is a folder")


def write_out(content: str | bytes, out: Path | None) -> None:
    """Print ``content`` (bytes as they are), or write it to ``out``: into a temporary
    file beside it, then renamed, so ``out`` is never left half-written."""
    if out is None:
        if isinstance(content, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
        else:
            click.echo(content)
        return
    data = content if isinstance(content, bytes) else (content + "\n").encode()
    check_out(out)
    folder = out.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CommandFailed(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"Wrote {out} ({len(data):,} bytes).")


def email_preview(
    issue: Issue,
    file: Path,
    lang: str,
    include: list[str],
    exclude: list[str],
    mode: Mode,
    fmt: str,
    out: Path | None,
) -> None:
    """`bot preview --channel email`: the text part (after its subject), the HTML part,
    or the whole message (``eml``)."""
    from bot.commands.preview_email import LOCAL_SITE, PreviewError, preview_mail
    from bot.config import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        raise UnusableInput(str(exc)) from None
    site = settings.public_url
    if site is None:
        site = LOCAL_SITE
        click.echo(
            f"Note: BOT_PUBLIC_URL is not set; the mail's links point to {LOCAL_SITE}.",
            err=True,
        )
    try:
        done = preview_mail(
            issue,
            site=site,
            mail_from=settings.mail_from,
            reply_to=settings.mail_reply_to,
            lang=lang,
            include=include,
            exclude=exclude,
            mode=mode,
        )
    except PreviewError as exc:
        raise UnusableInput(str(exc)) from None
    if done is None:
        click.echo(
            f"No entry of {file.name} matches these topics: this subscriber would get no mail.",
            err=True,
        )
    elif fmt == "eml":
        write_out(done.eml, out)
    elif fmt == "html":
        write_out(done.part("html"), out)
    else:
        subject = done.message["Subject"]
        write_out(f"Subject: {subject}\n\n{done.part('plain').replace(chr(13), '').rstrip()}", out)
