"""Withdrawing a published issue (`bot unpublish DATE`), inside one write transaction.

The issue leaves the archive — entries (and their search index rows, removed with
the tokens they were indexed with: the index is contentless), revisions, its outbox
rows — and each message that reached a chat is replaced by one outbox row of its own:
``delete`` while Telegram still lets a bot delete it (48 h after sending), else
``edit`` to a short withdrawn note. Those rows point at the ``unpublished_issues``
record instead of the issue, and the sender works them off like any other row.
A mail cannot be taken back: each subscriber it reached is remembered in
``mailed_issues`` (by issue date), so publishing that date again does not mail them twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aiosqlite

from bot.store import fts
from bot.store.base import StoreError, stamp, utc_now
from bot.store.enqueue import intern_text

DELETE_WITHIN_S = 47 * 3600  # Telegram allows 48 h; an hour's margin for the sender


@dataclass(frozen=True, slots=True)
class WithdrawalPlan:
    """What withdrawing an issue will do (asked before, recorded after)."""

    date: str
    title: str
    entries: int
    revisions: int
    deletes: int  # sent messages young enough to delete
    edits: int  # older ones, edited to the withdrawn note
    unsent: int  # rows not sent yet, dropped
    sending: int  # rows in flight right now
    emails: int = 0  # e-mails sent: they stay in the readers' mailboxes


@dataclass(frozen=True, slots=True)
class Unpublished:
    id: int
    date: str
    title: str
    entries: int
    unpublished_at: str
    unpublished_by: str | None
    deletes: int
    edits: int
    unsent: int
    emails: int = 0  # e-mails that had been sent (and could not be withdrawn)


async def _issue(conn: aiosqlite.Connection, date: str) -> tuple[int, str] | None:
    async with conn.execute("SELECT id, title FROM issues WHERE date = ?", (date,)) as cur:
        row = await cur.fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


async def _count(conn: aiosqlite.Connection, sql: str, params: tuple[object, ...]) -> int:
    async with conn.execute(sql, params) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def withdrawal_plan(
    conn: aiosqlite.Connection, date: str, *, now: float
) -> WithdrawalPlan | None:
    """What `unpublish_issue` would do now; None when there is no issue of that date."""
    found = await _issue(conn, date)
    if found is None:
        return None
    issue_id, title = found
    young = stamp(now - DELETE_WITHIN_S)
    async with conn.execute(
        "SELECT sum(message_id IS NOT NULL AND status != 'sending' AND sent_at >= ?),"
        " sum(message_id IS NOT NULL AND status != 'sending'"
        "     AND (sent_at IS NULL OR sent_at < ?)),"
        " sum(message_id IS NULL AND status != 'sending'"
        "     AND (channel = 'telegram' OR status = 'pending')), sum(status = 'sending')"
        " FROM outbox WHERE issue_id = ?",
        (young, young, issue_id),
    ) as cur:
        row = await cur.fetchone()
    deletes, edits, unsent, sending = (int(v or 0) for v in (row or (0, 0, 0, 0)))
    entries = await _count(conn, "SELECT count(*) FROM entries WHERE issue_id = ?", (issue_id,))
    revisions = await _count(conn, "SELECT count(*) FROM revisions WHERE issue_id = ?", (issue_id,))
    emails = await _count(
        conn,
        "SELECT count(*) FROM outbox WHERE issue_id = ? AND channel = 'email' AND status = 'sent'",
        (issue_id,),
    )
    return WithdrawalPlan(date, title, entries, revisions, deletes, edits, unsent, sending, emails)


async def unpublish_issue(
    conn: aiosqlite.Connection,
    date: str,
    *,
    now: float,
    notes: Mapping[str, str],
    by: str | None,
) -> Unpublished:
    """Withdraw the issue of ``date`` (see the module doc). ``notes``: the withdrawn
    note's HTML per chat language. Raises StoreError (nothing written) when there is
    no such issue or one of its messages is being sent right now."""
    plan = await withdrawal_plan(conn, date, now=now)
    if plan is None:
        raise StoreError(f"there is no issue {date} in the archive (see bot issues)")
    if plan.sending:
        raise StoreError(
            f"{plan.sending} message(s) of {date} are being sent right now; try again in a minute"
        )
    found = await _issue(conn, date)
    assert found is not None
    issue_id = found[0]
    at = utc_now()
    # the record's columns, in the order of Unpublished's fields after the id
    columns = (
        date,
        plan.title,
        plan.entries,
        at,
        by,
        plan.deletes,
        plan.edits,
        plan.unsent,
        plan.emails,
    )
    cur = await conn.execute(
        "INSERT INTO unpublished_issues (date, title, entries, unpublished_at, unpublished_by,"
        " messages_deleted, messages_edited, unsent_dropped, emails_sent)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        columns,
    )
    assert cur.lastrowid is not None
    record = cur.lastrowid
    await conn.execute(
        "INSERT INTO mailed_issues (date, subscriber_id, sent_at, unpublished_id)"
        " SELECT ?, subscriber_id, sent_at, ? FROM outbox"
        " WHERE issue_id = ? AND channel = 'email' AND status = 'sent'"
        " ON CONFLICT (date, subscriber_id) DO UPDATE SET unpublished_id = excluded.unpublished_id",
        (date, record, issue_id),
    )
    note_ids = {lang: await intern_text(conn, html) for lang, html in notes.items()}
    young = stamp(now - DELETE_WITHIN_S)
    async with conn.execute(
        "SELECT o.chat_id, o.part_no, o.message_id, o.sent_at, c.language FROM outbox o"
        " JOIN chats c ON c.id = o.chat_id WHERE o.issue_id = ? AND o.message_id IS NOT NULL"
        " ORDER BY o.chat_id, o.part_no",
        (issue_id,),
    ) as cur:
        sent = list(await cur.fetchall())
    fallback = next(iter(note_ids.values()))
    await conn.executemany(
        "INSERT INTO outbox (unpublished_id, chat_id, part_no, text, text_id, message_id,"
        " action, created_at) VALUES (?, ?, ?, '', ?, ?, ?, ?)",
        (
            (
                record,
                chat_id,
                part_no,
                note_ids.get(str(lang), fallback),
                message_id,
                "delete" if sent_at is not None and sent_at >= young else "edit",
                at,
            )
            for chat_id, part_no, message_id, sent_at, lang in sent
        ),
    )
    async with conn.execute(
        "SELECT id, title, source, summary FROM entries WHERE issue_id = ?", (issue_id,)
    ) as cur:
        indexed = [(int(r[0]), str(r[1]), r[2], str(r[3])) for r in await cur.fetchall()]
    await fts.remove(conn, indexed)
    # Entries, revisions and the issue's outbox rows go with it (ON DELETE CASCADE).
    await conn.execute("DELETE FROM issues WHERE id = ?", (issue_id,))
    return Unpublished(record, *columns)


async def list_unpublished(conn: aiosqlite.Connection) -> list[Unpublished]:
    """Every withdrawal, newest first."""
    async with conn.execute(
        "SELECT id, date, title, entries, unpublished_at, unpublished_by, messages_deleted,"
        " messages_edited, unsent_dropped, emails_sent FROM unpublished_issues ORDER BY id DESC"
    ) as cur:
        rows = await cur.fetchall()
    return [
        Unpublished(
            int(r[0]),
            str(r[1]),
            str(r[2]),
            int(r[3]),
            str(r[4]),
            None if r[5] is None else str(r[5]),
            int(r[6]),
            int(r[7]),
            int(r[8]),
            int(r[9]),
        )
        for r in rows
    ]


async def withdrawal_progress(conn: aiosqlite.Connection, record: int) -> dict[str, int]:
    """The withdrawal rows of one record by status ('sent' = deleted or edited)."""
    async with conn.execute(
        "SELECT status, count(*) FROM outbox WHERE unpublished_id = ? GROUP BY status", (record,)
    ) as cur:
        return {str(r[0]): int(r[1]) for r in await cur.fetchall()}
