"""`bot parse` and `bot lint`: the parser and lint on issue files (no Telegram, no DB).

`bot lint` adds to the digest's own rules an info line per entry that no catalogue
topic covers (bot.topics.lint: the digest layer sits below the catalogue).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click

from bot.commands.common import EXIT_ERRORS, EXIT_UNUSABLE, format_option
from bot.digest.export import issue_document, outline
from bot.digest.lint import lint_issue
from bot.digest.model import Finding, Issue
from bot.digest.parse import parse_issue
from bot.issuefile import IssueFileError, read_issue_text

FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="FILE..."
)


def _read_all(files: tuple[Path, ...]) -> Iterator[tuple[Path, str, Issue] | str]:
    """Each file parsed, or the sentence saying why it cannot be used."""
    for path in files:
        try:
            text = read_issue_text(path)
        except IssueFileError as exc:
            yield str(exc)
            continue
        yield path, text, parse_issue(text, filename=path.name)


def _unusable(message: str) -> None:
    click.echo(f"Error: {message}", err=True)


@click.command()
@FILES
@format_option(
    "json: one document per file (JSON Lines for several files); text: an outline.", default="json"
)
def parse(files: tuple[Path, ...], fmt: str) -> None:
    """Parse digest issue FILEs into their date, intro, warm-ups and entries."""
    failed = False
    several = len(files) > 1
    for result in _read_all(files):
        if isinstance(result, str):
            _unusable(result)
            failed = True
            continue
        path, _text, issue = result
        if fmt == "text":
            click.echo(outline(str(path), issue) + ("\n" if several else ""))
        else:
            document = issue_document(str(path), issue)
            indent = None if several else 2
            click.echo(json.dumps(document, ensure_ascii=False, indent=indent))
    if failed:
        raise SystemExit(EXIT_UNUSABLE)


def _format(path: Path, finding: Finding) -> str:
    return f"{path}:{finding.line}: {finding.severity} {finding.code}: {finding.message}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


@click.command()
@FILES
def lint(files: tuple[Path, ...]) -> None:
    """Check digest issue FILEs for mistakes before release.

    Prints `path:line: severity code: message` per finding, then one summary line.
    Exits 0 when clean (warnings allowed), 1 on errors, 2 on unusable input.
    """
    from bot.topics.lint import topic_findings  # here: `bot parse` needs no catalogue

    counts = {"error": 0, "warning": 0, "info": 0}
    unusable = 0
    checked = 0
    for result in _read_all(files):
        if isinstance(result, str):
            _unusable(result)
            unusable += 1
            continue
        path, text, issue = result
        checked += 1
        findings = [*lint_issue(issue, text), *topic_findings(issue)]
        for finding in sorted(findings, key=lambda finding: finding.line):
            counts[finding.severity] += 1
            click.echo(_format(path, finding))
    summary = (
        f"{_plural(checked, 'file')} checked: {_plural(counts['error'], 'error')}, "
        f"{_plural(counts['warning'], 'warning')}, {counts['info']} info"
    )
    if unusable:
        summary += f"; {_plural(unusable, 'file')} unusable"
    click.echo(summary)
    if unusable:
        raise SystemExit(EXIT_UNUSABLE)
    if counts["error"]:
        raise SystemExit(EXIT_ERRORS)
