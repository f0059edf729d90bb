"""Issues and their entries: ingest with revisions, and reading them back.

Entry ids encode the issue date — ``date.toordinal() * 4096 + n`` — so the
search index's rowid order is issue order and "newest first" is an index scan.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from typing import Literal

import aiosqlite

from bot.digest.model import Entry, Issue, Link, normalize_title
from bot.store import entry_topics, fts
from bot.store.base import StoreError, utc_now
from bot.store.db import savepoint

SLOTS = 4096
Status = Literal["new", "updated", "unchanged"]
_CONTENT = ("title", "source", "url", "links", "tag", "summary")


@dataclass(frozen=True, slots=True)
class IngestResult:
    status: Status
    date: str
    issue_id: int
    entries: int
    revision_id: int | None = None
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


# "本次内容20条，" / "本期19条。": the entry count a listing shows anyway.
_COUNT_LEAD = re.compile(r"^本[次期](?:内容)?\s*\d+\s*条[。，,；;：:\s]*")


@dataclass(frozen=True, slots=True)
class IssueSummary:
    date: str
    title: str
    intro: str
    entries: int
    revisions: int
    published_at: str
    updated_at: str
    headline: str = ""  # the first entry's title

    @property
    def description(self) -> str:
        """What the issue is about, on one line: its title, else its intro (without a
        leading "本次N条"), else its first headline; "" for an empty issue. Every
        listing (``bot issues``, Telegram's /issues, the web) uses this one rule."""
        for text in (self.title, _COUNT_LEAD.sub("", " ".join(self.intro.split())), self.headline):
            line = " ".join(text.split())
            if line:
                return line
        return ""


@dataclass(frozen=True, slots=True)
class StoredIssue:
    id: int
    issue: Issue
    keys: tuple[str, ...] = field(default=())


def issue_date(issue: Issue) -> Date:
    """The issue's date, or StoreError when it has none or it is not a real date."""
    if not issue.date:
        raise StoreError("the issue has no date (expected 嵌入式AI简报 (YYYY-MM-DD) in its title)")
    try:
        return Date.fromisoformat(issue.date)
    except ValueError:
        raise StoreError(f"the issue date {issue.date!r} is not a valid date") from None


def keyed_entries(entries: Sequence[Entry]) -> dict[str, Entry]:
    """Entries by key; a key seen again in the same issue gets ``#2``, ``#3``..."""
    keyed: dict[str, Entry] = {}
    for entry in entries:
        key, n = entry.key, 1
        while key in keyed:
            n += 1
            key = f"{entry.key}#{n}"
        keyed[key] = entry
    return keyed


def _row(entry: Entry) -> dict[str, object]:
    links = json.dumps([[link.text, link.url] for link in entry.links], ensure_ascii=False)
    return {
        "section": entry.section,
        "position": entry.position,
        "title": entry.title,
        "source": entry.source,
        "url": entry.url,
        "links": links,
        "tag": entry.tag,
        "summary": entry.summary,
    }


def file_hash(text: str) -> str:
    """Identity of an issue file's content (as decoded text, so a BOM does not count)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def ingest_issue(
    conn: aiosqlite.Connection, issue: Issue, file_hash: str, text: str
) -> IngestResult:
    """Store an issue, or apply a revision of it in place by entry key.

    An identical file (same hash as the stored one) changes nothing. Atomic on
    its own, and nests inside a caller's transaction.
    """
    day = issue_date(issue)
    date = day.isoformat()
    new = keyed_entries(issue.entries)
    async with conn.execute("SELECT id, file_hash FROM issues WHERE date = ?", (date,)) as cur:
        found = await cur.fetchone()
    if found is not None and found[1] == file_hash:
        return IngestResult("unchanged", date, int(found[0]), len(new))
    now = utc_now()
    async with savepoint(conn, "ingest"):
        if found is None:
            cursor = await conn.execute(
                "INSERT INTO issues (date, title, intro, file_hash, published_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (date, issue.title, issue.intro, file_hash, now, now),
            )
            issue_id = int(cursor.lastrowid or 0)
            old: dict[str, dict[str, object]] = {}
        else:
            issue_id = int(found[0])
            await conn.execute(
                "UPDATE issues SET title = ?, intro = ?, file_hash = ?, updated_at = ?"
                " WHERE id = ?",
                (issue.title, issue.intro, file_hash, now, issue_id),
            )
            old = await _stored_rows(conn, issue_id)
        added, changed, removed = await _apply(conn, issue_id, day, old, new)
        cursor = await conn.execute(
            "INSERT INTO revisions (issue_id, file_hash, ingested_at, added, changed, removed,"
            " source_text) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                issue_id,
                file_hash,
                now,
                json.dumps(added, ensure_ascii=False),
                json.dumps(changed, ensure_ascii=False),
                json.dumps(removed, ensure_ascii=False),
                text,
            ),
        )
    status: Status = "new" if found is None else "updated"
    return IngestResult(
        status,
        date,
        issue_id,
        len(new),
        int(cursor.lastrowid or 0),
        tuple(added),
        tuple(changed),
        tuple(removed),
    )


async def _stored_rows(conn: aiosqlite.Connection, issue_id: int) -> dict[str, dict[str, object]]:
    async with conn.execute(
        "SELECT key, id, section, position, title, source, url, links, tag, summary"
        " FROM entries WHERE issue_id = ?",
        (issue_id,),
    ) as cursor:
        names = [d[0] for d in cursor.description]
        return {str(r[0]): dict(zip(names, r, strict=True)) for r in await cursor.fetchall()}


async def _apply(
    conn: aiosqlite.Connection,
    issue_id: int,
    day: Date,
    old: dict[str, dict[str, object]],
    new: dict[str, Entry],
) -> tuple[list[str], list[str], list[str]]:
    base = day.toordinal() * SLOTS
    used = [int(str(r["id"])) - base for r in old.values()]
    next_slot = max(used, default=-1) + 1
    added, changed = [], []
    removed = [key for key in old if key not in new]
    for new_key, old_key in _renamed(old, new, removed).items():
        await conn.execute("UPDATE entries SET key = ? WHERE id = ?", (new_key, old[old_key]["id"]))
        old[new_key] = old.pop(old_key)
        removed.remove(old_key)
    await _unindex(conn, [old[key] for key in removed])
    for key in removed:
        await conn.execute("DELETE FROM entries WHERE id = ?", (old[key]["id"],))
    for key, entry in new.items():
        row = _row(entry)
        before = old.get(key)
        if before is None:
            if next_slot >= SLOTS:
                raise StoreError(f"an issue can hold at most {SLOTS} entries")
            entry_id = base + next_slot
            next_slot += 1
            await conn.execute(
                "INSERT INTO entries (id, issue_id, key, section, position, title, source, url,"
                " links, tag, summary) VALUES (:id, :issue_id, :key, :section, :position,"
                " :title, :source, :url, :links, :tag, :summary)",
                {"id": entry_id, "issue_id": issue_id, "key": key, **row},
            )
            await fts.add(conn, [(entry_id, entry.title, entry.source, entry.summary)])
            await entry_topics.tag(conn, [(entry_id, entry.title, entry.source, entry.summary)])
            added.append(key)
            continue
        content_changed = any(before[name] != row[name] for name in _CONTENT)
        if content_changed:
            await _unindex(conn, [before])
            row_now = (int(str(before["id"])), entry.title, entry.source, entry.summary)
            await fts.add(conn, [row_now])
            await entry_topics.tag(conn, [row_now])
            changed.append(key)
        if content_changed or any(before[n] != row[n] for n in ("section", "position")):
            await conn.execute(
                "UPDATE entries SET section = :section, position = :position, title = :title,"
                " source = :source, url = :url, links = :links, tag = :tag, summary = :summary"
                " WHERE id = :id",
                {"id": before["id"], **row},
            )
    return added, changed, removed


def _renamed(
    old: dict[str, dict[str, object]], new: dict[str, Entry], removed: list[str]
) -> dict[str, str]:
    """New key -> old key for entries whose key changed but title did not (a link was
    added to ``[title]()``, or a url fixed): they are the same entry, changed."""
    gone: dict[str, list[str]] = {}
    for key in removed:
        gone.setdefault(normalize_title(str(old[key]["title"])), []).append(key)
    fresh: dict[str, list[str]] = {}
    for key, entry in new.items():
        if key not in old:
            fresh.setdefault(normalize_title(entry.title), []).append(key)
    return {
        keys[0]: gone[title][0]
        for title, keys in fresh.items()
        if len(keys) == 1 and len(gone.get(title, ())) == 1
    }


async def _unindex(conn: aiosqlite.Connection, rows: Sequence[dict[str, object]]) -> None:
    await fts.remove(
        conn,
        [
            (
                int(str(r["id"])),
                str(r["title"]),
                None if r["source"] is None else str(r["source"]),
                str(r["summary"]),
            )
            for r in rows
        ],
    )


async def list_issues(conn: aiosqlite.Connection) -> list[IssueSummary]:
    """Every issue, newest first, with entry and revision counts and its first headline."""
    async with conn.execute(
        "SELECT date, title, intro, published_at, updated_at,"
        " (SELECT count(*) FROM entries e WHERE e.issue_id = i.id),"
        " (SELECT count(*) FROM revisions r WHERE r.issue_id = i.id),"
        " (SELECT title FROM entries e WHERE e.issue_id = i.id ORDER BY position, id LIMIT 1)"
        " FROM issues i ORDER BY date DESC"
    ) as cursor:
        return [
            IssueSummary(
                str(r[0]),
                str(r[1]),
                str(r[2]),
                int(r[5]),
                int(r[6]),
                str(r[3]),
                str(r[4]),
                str(r[7] or ""),
            )
            for r in await cursor.fetchall()
        ]


async def get_issue(conn: aiosqlite.Connection, date: str | None = None) -> StoredIssue | None:
    """The issue of that date (the latest when None) with its entries in order."""
    sql = "SELECT id, date, title, intro FROM issues "
    sql += "WHERE date = ?" if date is not None else "ORDER BY date DESC LIMIT 1"
    async with conn.execute(sql, (date,) if date is not None else ()) as cursor:
        head = await cursor.fetchone()
    if head is None:
        return None
    async with conn.execute(
        "SELECT key, section, position, title, source, url, links, tag, summary FROM entries"
        " WHERE issue_id = ? ORDER BY position, id",
        (head[0],),
    ) as cursor:
        rows = await cursor.fetchall()
    entries = tuple(
        Entry(
            section=r[1],
            position=r[2],
            title=r[3],
            source=r[4],
            url=r[5],
            links=tuple(Link(t, u) for t, u in json.loads(r[6])),
            tag=r[7],
            summary=r[8],
        )
        for r in rows
    )
    sections = tuple(dict.fromkeys(e.section for e in entries))
    issue = Issue(date=head[1], title=head[2], intro=head[3], sections=sections, entries=entries)
    return StoredIssue(int(head[0]), issue, tuple(str(r[0]) for r in rows))


@dataclass(frozen=True, slots=True)
class Revision:
    id: int
    file_hash: str
    ingested_at: str
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]


async def list_revisions(conn: aiosqlite.Connection, date: str) -> list[Revision]:
    """Every file ingested for the issue of ``date``, oldest first, with its entry diff."""
    async with conn.execute(
        "SELECT r.id, r.file_hash, r.ingested_at, r.added, r.changed, r.removed"
        " FROM revisions r JOIN issues i ON i.id = r.issue_id WHERE i.date = ? ORDER BY r.id",
        (date,),
    ) as cursor:
        return [
            Revision(
                int(r[0]),
                str(r[1]),
                str(r[2]),
                tuple(json.loads(r[3])),
                tuple(json.loads(r[4])),
                tuple(json.loads(r[5])),
            )
            for r in await cursor.fetchall()
        ]


async def archive_version(conn: aiosqlite.Connection) -> int:
    """A number that grows with every ingest (a new issue or a revision): pages built
    from the archive can be kept until it changes."""
    async with conn.execute("SELECT coalesce(max(id), 0) FROM revisions") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
