"""Writing an issue's delivery plan into the outbox (see bot.delivery.enqueue).

Texts are interned in ``outbox_texts`` by their SHA-256, so each distinct
rendered part is stored once however many chats receive it. Callers run these
inside one transaction (``savepoint`` nests inside `bot publish`'s).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import aiosqlite

from bot.store.base import utc_now

REMOVED = "removed in a revision of the issue"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    chat_id: int
    part_no: int
    status: str
    message_id: int | None
    text_id: int | None


@dataclass(frozen=True, slots=True)
class NewRow:
    chat_id: int
    part_no: int
    text_id: int
    not_before: str


@dataclass(frozen=True, slots=True)
class Change:
    """Give row ``id`` the text ``text_id`` and move it to ``status``."""

    id: int
    text_id: int
    status: str
    not_before: str | None
    reason: str | None = None


async def intern_text(conn: aiosqlite.Connection, html: str, preview_url: str | None = None) -> int:
    """The id of this text (stored once); ``preview_url``: the article it previews when
    the chat has link previews on (the same html always names the same first entry)."""
    digest = hashlib.sha256(html.encode()).hexdigest()
    await conn.execute(
        "INSERT INTO outbox_texts (digest, html, preview_url) VALUES (?, ?, ?)"
        " ON CONFLICT (digest) DO UPDATE SET"
        " preview_url = coalesce(outbox_texts.preview_url, excluded.preview_url)",
        (digest, html, preview_url),
    )
    async with conn.execute("SELECT id FROM outbox_texts WHERE digest = ?", (digest,)) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def rows_of_issue(conn: aiosqlite.Connection, issue_id: int) -> list[OutboxRow]:
    async with conn.execute(
        "SELECT id, chat_id, part_no, status, message_id, text_id FROM outbox"
        " WHERE issue_id = ? AND channel = 'telegram' ORDER BY chat_id, part_no",
        (issue_id,),
    ) as cur:
        return [
            OutboxRow(
                int(r[0]),
                int(r[1]),
                int(r[2]),
                str(r[3]),
                None if r[4] is None else int(r[4]),
                None if r[5] is None else int(r[5]),
            )
            for r in await cur.fetchall()
        ]


async def insert_rows(
    conn: aiosqlite.Connection, issue_id: int, revision_id: int | None, rows: Iterable[NewRow]
) -> int:
    now = utc_now()
    cur = await conn.executemany(
        "INSERT INTO outbox (issue_id, revision_id, chat_id, part_no, text, text_id, not_before,"
        " created_at) VALUES (?, ?, ?, ?, '', ?, ?, ?)",
        ((issue_id, revision_id, r.chat_id, r.part_no, r.text_id, r.not_before, now) for r in rows),
    )
    return max(cur.rowcount, 0)


async def apply_changes(
    conn: aiosqlite.Connection, revision_id: int | None, changes: Sequence[Change]
) -> None:
    """Rows keep their lease: a sender holding one sees the new text when it sends."""
    await conn.executemany(
        "UPDATE outbox SET text_id = ?, status = ?, not_before = COALESCE(?, not_before),"
        " revision_id = COALESCE(?, revision_id), last_error = ? WHERE id = ?",
        ((c.text_id, c.status, c.not_before, revision_id, c.reason, c.id) for c in changes),
    )


async def ensure_channel(conn: aiosqlite.Connection, chat_id: int, title: str | None) -> None:
    """The `BOT_CHANNEL` chat row, active again at every publish (it is not a subscriber)."""
    now = utc_now()
    await conn.execute(
        "INSERT INTO chats (id, type, title, status, created_at, updated_at)"
        " VALUES (?, 'channel', ?, 'active', ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " type = 'channel', title = excluded.title, status = 'active', updated_at = ?",
        (chat_id, title, now, now, now),
    )
