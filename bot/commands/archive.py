"""`bot import`, `bot issues` and `bot search`: the archive from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.common import UnusableInput, format_option, run_async
from bot.commands.db import DB_OPTION, database
from bot.render.text import clip
from bot.store.base import StoreError

if TYPE_CHECKING:
    from bot.search.engine import SearchPage


def issue_files(paths: tuple[Path, ...]) -> Iterator[Path]:
    """Files as given; folders as their ``*.md`` files (recursively), sorted by path."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.md") if p.is_file())
        else:
            yield path


@dataclass
class ImportTally:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    entries: int = 0
    warnings: int = 0
    skipped: list[str] = field(default_factory=list)

    def line(self) -> str:
        files = self.new + self.updated + self.unchanged
        line = (
            f"{files} issue files: {self.new} new, {self.updated} updated, "
            f"{self.unchanged} unchanged; {self.entries} entries; {self.warnings} warnings"
        )
        return line + (f"; {len(self.skipped)} skipped" if self.skipped else "")


@click.command("import")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="PATH..."
)
@DB_OPTION
def import_(paths: tuple[Path, ...], db_path: Path | None) -> None:
    """Ingest issue FILEs or whole FOLDERs of *.md issues into the archive.

    Re-importing an identical file changes nothing; a revised file updates its
    issue's entries in place and records the revision. Files that cannot be
    used are reported and skipped (exit 2); the rest is imported. Creates the
    archive when there is none (a first import); `bot run` never does.
    """
    files = list(issue_files(paths))
    if not files:
        raise UnusableInput("no issue files (*.md) found in " + ", ".join(map(str, paths)))
    tally = run_async(_import(files, db_path))
    click.echo(tally.line())
    if tally.skipped:
        raise SystemExit(2)


async def _import(files: list[Path], db_path: Path | None) -> ImportTally:
    import aiosqlite
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.digest.parse import parse_issue
    from bot.issuefile import IssueFileError, read_issue_text
    from bot.store.issues import file_hash, ingest_issue

    console = Console(stderr=True)
    columns = (
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
    )

    async def ingest_all(conn: aiosqlite.Connection) -> ImportTally:
        tally = ImportTally()
        with Progress(
            *columns, console=console, transient=True, disable=not console.is_terminal
        ) as progress:
            task = progress.add_task("", total=len(files))
            for path in files:
                progress.update(task, description=path.name)
                try:
                    text = read_issue_text(path)
                    issue = parse_issue(text, filename=path.name)
                    result = await ingest_issue(conn, issue, file_hash(text), text)
                except (IssueFileError, StoreError) as exc:
                    message = str(exc).rstrip(".")
                    if not message.startswith(str(path)):
                        message = f"{path}: {message}"
                    console.print(
                        f"Error: {message}.", markup=False, highlight=False, soft_wrap=True
                    )
                    tally.skipped.append(str(path))
                    progress.advance(task)
                    continue
                setattr(tally, result.status, getattr(tally, result.status) + 1)
                tally.entries += result.entries
                tally.warnings += len(issue.warnings)
                progress.advance(task)
        return tally

    async with database(db_path) as db:
        return await db.write(ingest_all)


@click.command()
@format_option("text: one line per issue; json: a list of objects.")
@DB_OPTION
def issues(fmt: str, db_path: Path | None) -> None:
    """List the issues in the archive, newest first."""
    from bot.store.issues import IssueSummary, list_issues

    async def listing() -> list[IssueSummary]:
        async with database(db_path, must_exist=True) as db:
            return await list_issues(db.reader)

    summaries = run_async(listing())
    if fmt == "json":
        rows = [asdict(summary) for summary in summaries]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not summaries:
        click.echo("The archive is empty; add issues with `bot import FOLDER`.")
        return
    for s in summaries:
        label = clip(s.description, 48)
        click.echo(f"{s.date}  {s.entries:>3} entries  {s.revisions:>2} rev  {label}".rstrip())
    click.echo(f"{len(summaries)} issues")


def _check_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return Date.fromisoformat(value).isoformat()
    except ValueError:
        raise UnusableInput(f"--issue must be a date like 2021-01-05, not {value!r}") from None


@click.command()
@click.argument("query", nargs=-1, metavar="QUERY...")
@click.option(
    "--limit",
    type=click.IntRange(1, 50),
    default=10,
    show_default=True,
    help="How many results to show.",
)
@click.option(
    "--offset",
    type=click.IntRange(0, 999),
    default=0,
    show_default=True,
    help="Skip this many results (for the next page).",
)
@click.option("--issue", "issue_date", metavar="DATE", help="Only the issue of DATE (YYYY-MM-DD).")
@click.option("--section", metavar="NAME", help="Only entries of this section, e.g. 论文.")
@format_option("text for people; json: a list of result objects.")
@DB_OPTION
def search(
    query: tuple[str, ...],
    limit: int,
    offset: int,
    issue_date: str | None,
    section: str | None,
    fmt: str,
    db_path: Path | None,
) -> None:
    """Search every entry of the archive.

    Words are ANDed, "quoted words" form a phrase, -word excludes; case, full-width
    and Traditional/Simplified forms do not matter; 量化 finds every entry that
    contains it. Example: bot search 移动端 推理 -招聘
    """
    from bot.search.engine import search as run_search
    from bot.search.query import NOTICE_TEXT
    from bot.search.snippet import render

    text = " ".join(query)
    if not text.strip():
        raise UnusableInput("give something to search for, e.g. `bot search 量化`")
    day = _check_date(issue_date)

    async def find() -> SearchPage:
        async with database(db_path, must_exist=True) as db:
            return await run_search(
                db.reader, text, limit=limit, offset=offset, issue_date=day, section=section
            )

    page = run_async(find())
    for notice in page.query.notices:
        click.echo(NOTICE_TEXT[notice], err=True)
    bold = ("\x1b[1m", "\x1b[0m") if fmt == "text" and sys.stdout.isatty() else ("**", "**")
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "issue_date": r.issue_date,
                        "section": r.section,
                        "title": r.title,
                        "url": r.url,
                        "snippet": render(r.snippet_segments),
                        "score": r.score,
                    }
                    for r in page.results
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not page.results:
        click.echo("No results." if page.total == 0 else f"No results past {page.total}.")
        return
    shown = f"{offset + 1}-{offset + len(page.results)}"
    click.echo(f"{shown} of {page.total_label} results")
    for r in page.results:
        title = render(r.title_segments, *bold)
        source = f" | {r.source}" if r.source else ""
        click.echo(f"\n{r.issue_date} · {r.section} · {title}{source}")
        if r.url:
            click.echo(f"  {r.url}")
        if r.snippet_segments:
            click.echo(f"  {render(r.snippet_segments, *bold)}")
