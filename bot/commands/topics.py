"""`bot topics`: the topic catalogue, and which entries of issue files it tags.

`match` and `explain` read issue files like `bot parse` (no database); `list` adds
each topic's entry count over the archive when there is one; `retag` re-tags the
archive with the current catalogue.
`bot topics match` prints JSON Lines, a contract other tools read:
``{"file", "issue_date", "url", "title", "topics", "because"}`` per matched entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click

from bot.commands.common import EXIT_UNUSABLE, UnusableInput, format_option, run_async
from bot.commands.db import DB_OPTION, database
from bot.digest.model import Entry, Issue
from bot.digest.parse import parse_issue
from bot.issuefile import IssueFileError, read_issue_text
from bot.topics.catalog import Topic, load_catalog, resolve, suggest
from bot.topics.match import TopicHit, tag_entry

FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="FILE..."
)


@click.group()
def topics() -> None:
    """The topic catalogue (量化, 剪枝, NPU, 编译器...) and the entries it tags."""


def _topic_name(topic: Topic) -> str:
    return f"{topic.zh} ({topic.slug})" if topic.zh != topic.slug else topic.slug


def _resolve_all(words: tuple[str, ...]) -> list[Topic]:
    chosen: list[Topic] = []
    for word in words:
        topic = resolve(word)
        if topic is None:
            closest = ", ".join(_topic_name(t) for t in suggest(word))
            hint = f"; closest: {closest}" if closest else ""
            raise UnusableInput(f"{word!r} is not a catalogue topic (see `bot topics list`){hint}.")
        if topic not in chosen:
            chosen.append(topic)
    return chosen


def _issues(files: tuple[Path, ...]) -> Iterator[tuple[Path, Issue] | str]:
    """Each file parsed, or the sentence saying why it cannot be used."""
    for path in files:
        try:
            text = read_issue_text(path)
        except IssueFileError as exc:
            yield str(exc)
            continue
        yield path, parse_issue(text, filename=path.name)


def _by_topic(hits: tuple[TopicHit, ...]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for hit in hits:
        grouped.setdefault(hit.slug, []).append(hit.term)
    return grouped


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@topics.command("list")
@format_option("json: one array of {slug, zh, en, aliases, entries}.")
@DB_OPTION
def list_(fmt: str, db_path: Path | None) -> None:
    """List the catalogue: slug, names, aliases, and entries tagged in the archive.

    The counts come from the archive (--db); without one they are left out
    (null in JSON).
    """
    catalog = load_catalog()
    counts = run_async(_counts(db_path))
    if fmt == "json":
        rows = [
            {
                "slug": t.slug,
                "zh": t.zh,
                "en": t.en,
                "aliases": list(t.aliases),
                "entries": None if counts is None else counts.get(t.slug, 0),
            }
            for t in catalog.topics
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    width = max(len(t.slug) for t in catalog.topics)
    digits = len(str(max(counts.values(), default=0))) if counts is not None else 0
    for topic in catalog.topics:
        count = "" if counts is None else f"{counts.get(topic.slug, 0):>{digits}}  "
        names = f"{topic.zh} / {topic.en}  ({', '.join(topic.aliases)})"
        click.echo(f"{topic.slug:<{width}}  {count}{names}")
    tail = f"{len(catalog.topics)} topics, catalogue version {catalog.version}"
    if counts is None:
        tail += "; no archive, so no entry counts"
    click.echo(tail)


async def _counts(db_path: Path | None) -> dict[str, int] | None:
    from bot.store.db import default_db_path
    from bot.store.entry_topics import topic_counts

    if not (db_path or default_db_path()).exists():
        return None
    async with database(db_path) as db:
        return await topic_counts(db.reader)


@topics.command()
@DB_OPTION
def retag(db_path: Path | None) -> None:
    """Re-tag every entry of the archive with the current catalogue.

    Opening the archive already does it when the catalogue changed; this forces it
    (say, after editing catalog.toml in place) and reports how long it took.
    """
    entries, tags, seconds = run_async(_retag(db_path))
    click.echo(f"re-tagged {entries} entries: {tags} tags in {seconds * 1000:.0f} ms")


async def _retag(db_path: Path | None) -> tuple[int, int, float]:
    import time

    from bot.store.entry_topics import retag as retag_archive

    async with database(db_path, must_exist=True) as db:
        async with db.reader.execute("SELECT count(*) FROM entries") as cursor:
            row = await cursor.fetchone()
        started = time.perf_counter()
        tags = await db.write(retag_archive)
        return int(row[0]) if row else 0, tags, time.perf_counter() - started


@topics.command()
@click.option(
    "--topic",
    "words",
    multiple=True,
    required=True,
    metavar="T",
    help="A topic: any alias or slug (量化, quantization, INT8...). Repeat for several.",
)
@FILES
@format_option(
    "json: JSON Lines, one object per matched entry; text: one line per entry.", default="json"
)
def match(words: tuple[str, ...], files: tuple[Path, ...], fmt: str) -> None:
    """Print the entries of issue FILEs about any of the given topics.

    JSON Lines: {"file", "issue_date", "url", "title", "topics", "because"} per
    entry, where topics are the matched slugs and because the terms that matched.
    Exits 2 on an unknown topic or an unusable file.
    """
    wanted = _resolve_all(words)
    slugs = [topic.slug for topic in wanted]
    failed = False
    for result in _issues(files):
        if isinstance(result, str):
            click.echo(f"Error: {result}", err=True)
            failed = True
            continue
        path, issue = result
        for entry in issue.entries:
            grouped = _by_topic(tag_entry(entry))
            matched = [slug for slug in slugs if slug in grouped]
            if not matched:
                continue
            because = list(dict.fromkeys(term for slug in matched for term in grouped[slug]))
            if fmt == "text":
                click.echo(f"{path}: {entry.title}  [{', '.join(matched)}: {', '.join(because)}]")
                continue
            record = {
                "file": str(path),
                "issue_date": issue.date,
                "url": entry.url,
                "title": entry.title,
                "topics": matched,
                "because": because,
            }
            click.echo(json.dumps(record, ensure_ascii=False))
    if failed:
        raise SystemExit(EXIT_UNUSABLE)


def _explain_line(number: int, entry: Entry, width: int) -> str:
    grouped = _by_topic(tag_entry(entry))
    tags = "; ".join(f"{slug} ({', '.join(terms)})" for slug, terms in grouped.items())
    head = f"[{entry.section}] {entry.title}"
    return f"{number:>3}. {_clip(head, width)}  →  {tags or '—'}"


@topics.command()
@FILES
@click.option("--width", default=60, show_default=True, help="Clip titles to this many characters.")
def explain(files: tuple[Path, ...], width: int) -> None:
    """Show every entry of issue FILEs with its topics and the terms that matched.

    To review a new issue before release: an entry with "—" is covered by no
    catalogue topic and reaches only readers without a filter.
    """
    failed = False
    for result in _issues(files):
        if isinstance(result, str):
            click.echo(f"Error: {result}", err=True)
            failed = True
            continue
        path, issue = result
        click.echo(f"{path} ({issue.date or 'no date'}): {len(issue.entries)} entries")
        untagged = 0
        for number, entry in enumerate(issue.entries, 1):
            line = _explain_line(number, entry, width)
            untagged += line.endswith("—")
            click.echo(line)
        click.echo(f"{untagged} of {len(issue.entries)} entries have no topic")
    if failed:
        raise SystemExit(EXIT_UNUSABLE)
