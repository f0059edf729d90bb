"""The sender's side of the outbox: leasing rows, and recording each send.

A row is one part of one issue for one chat. Its text lives in ``outbox_texts``
(``text_id``): 100,000 chats that get the same digest share one copy. The sender
leases whole chats (``lease_owner``, ``lease_until``) so two senders never send
the same row and parts of a chat stay in order. Every send is bracketed by
:func:`mark_sending` and :func:`mark_sent` (the sender commits those of sends made
at the same moment together: :func:`mark_sending_many`, :func:`mark_sent_many`).

Times are UTC ``YYYY-MM-DD HH:MM:SS`` strings like the rest of the store.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import aiosqlite

from bot.store.base import stamp, utc_now

MAX_REASON = 500
PER_CHAT = 20  # rows of one chat taken per claim; the rest wait for the next one


@dataclass(frozen=True, slots=True)
class Job:
    """A leased row as the sender needs it."""

    id: int
    issue_id: int | None  # None: a withdrawal row of an unpublished issue
    chat_id: int
    target: int | str  # what to put in chat_id: the id, or "@name" for a public channel
    part_no: int
    text: str
    text_id: int | None
    message_id: int | None  # set: the part was sent before, so it is edited
    thread_id: int | None
    action: str = "send"  # send (or edit, when message_id is set) | edit | delete
    uncertain: bool = False  # an earlier send got no answer: the next one may duplicate it
    silent: bool = False  # the chat wants digests without a notification sound
    preview: str | None = None  # the url to preview: the chat has previews on, the part a link


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _chunks(values: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def claim(
    conn: aiosqlite.Connection,
    owner: str,
    *,
    now: float,
    lease_s: float,
    max_chats: int,
    skip_chats: Collection[int] = (),
) -> list[Job]:
    """Lease the due rows of up to ``max_chats`` chats nobody else holds, in send order."""
    now_s, until_s = stamp(now), stamp(now + lease_s)
    jobs: list[Job] = []
    cur = await conn.execute(
        "SELECT DISTINCT chat_id FROM outbox WHERE channel = 'telegram'"
        " AND status IN ('pending', 'sending')"
        " AND (not_before IS NULL OR not_before <= ?)"
        " AND (lease_owner IS NULL OR lease_until < ? OR lease_owner = ?) LIMIT ?",
        (now_s, now_s, owner, max_chats + len(skip_chats)),
    )
    chats = [int(r[0]) for r in await cur.fetchall() if int(r[0]) not in skip_chats]
    chats = chats[:max_chats]
    if not chats:
        return []
    texts: dict[int, str] = {}
    taken: list[int] = []
    dropped: list[tuple[str, int]] = []
    for group in _chunks(chats):
        cur = await conn.execute(
            "SELECT o.id, o.issue_id, o.chat_id, o.part_no, o.not_before, o.lease_owner,"
            " o.lease_until, o.text_id, o.text, o.message_id, c.thread_id, c.type, c.title,"
            " t.html, c.status, o.action, o.uncertain_at, t.preview_url, c.link_previews,"
            " c.silent FROM outbox o"
            " JOIN chats c ON c.id = o.chat_id"
            " LEFT JOIN outbox_texts t ON t.id = o.text_id"
            f" WHERE o.chat_id IN ({_marks(group)}) AND o.status IN ('pending', 'sending')"
            " ORDER BY o.chat_id, o.issue_id, o.part_no",
            tuple(group),
        )
        rows = await cur.fetchall()
        blocked: set[int] = set()
        count: dict[int, int] = {}
        for row in rows:
            (id_, issue_id, chat_id, part_no, not_before, lease_owner, lease_until) = row[:7]
            text_id, text, message_id, thread_id, kind, title, html, chat_status = row[7:15]
            action = row[15]
            uncertain = row[16] is not None and message_id is None
            preview = str(row[17]) if row[17] is not None and row[18] else None
            if chat_id in blocked:
                continue
            if chat_status != "active" and message_id is None:
                # Unsubscribed (or gone) after the issue was queued: not sent, and said why.
                dropped.append((f"chat is {chat_status}", int(id_)))
                continue
            held = lease_owner not in (None, owner) and lease_until >= now_s
            late = not_before is not None and not_before > now_s
            if held or late or count.get(chat_id, 0) >= PER_CHAT:
                blocked.add(chat_id)  # keep order: nothing after an unavailable row
                continue
            count[chat_id] = count.get(chat_id, 0) + 1
            if text_id is not None:
                text = texts.setdefault(int(text_id), str(html))
            target: int | str = int(chat_id)
            if kind == "channel" and isinstance(title, str) and title.startswith("@"):
                target = title
            jobs.append(
                Job(
                    int(id_),
                    None if issue_id is None else int(issue_id),
                    int(chat_id),
                    target,
                    int(part_no),
                    str(text),
                    None if text_id is None else int(text_id),
                    None if message_id is None else int(message_id),
                    None if thread_id is None else int(thread_id),
                    str(action),
                    uncertain,
                    bool(row[19]),
                    preview,
                )
            )
            taken.append(int(id_))
    await conn.executemany(
        "UPDATE outbox SET status = 'cancelled', last_error = ?, lease_owner = NULL,"
        " lease_until = NULL WHERE id = ?",
        dropped,
    )
    for group in _chunks(taken):
        await conn.execute(
            f"UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN ({_marks(group)})",
            (owner, until_s, *group),
        )
    return jobs


async def held_elsewhere(conn: aiosqlite.Connection, owner: str, *, now: float) -> bool:
    """Whether due open rows are leased by another sender whose lease has not expired
    (it is sending them — or it died, and they become claimable when the lease ends)."""
    now_s = stamp(now)
    rows = await conn.execute_fetchall(
        "SELECT 1 FROM outbox WHERE channel = 'telegram' AND lease_owner IS NOT NULL"
        " AND lease_owner != ?"
        " AND lease_until >= ? AND status IN ('pending', 'sending')"
        " AND (not_before IS NULL OR not_before <= ?) LIMIT 1",
        (owner, now_s, now_s),
    )
    return bool(rows)


async def extend_leases(conn: aiosqlite.Connection, owner: str, until: float) -> None:
    await conn.execute(
        "UPDATE outbox SET lease_until = ?"
        " WHERE lease_owner = ? AND status IN ('pending', 'sending')",
        (stamp(until), owner),
    )


async def mark_sending(
    conn: aiosqlite.Connection, row_id: int, owner: str, until: float
) -> tuple[int | None, int | None] | None:
    """Record that a send is about to start; return the row's current (text_id,
    message_id), or None if the row is no longer ours to send. A new message sent
    after an uncertain send of it counts in ``resent`` (a possible duplicate), and the
    uncertainty is settled: this send is the one that counts now. One round trip."""
    rows = await conn.execute_fetchall(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?,"
        " resent = resent + (uncertain_at IS NOT NULL AND message_id IS NULL),"
        " uncertain_at = NULL"
        " WHERE id = ? AND lease_owner = ? AND status IN ('pending', 'sending')"
        " RETURNING text_id, message_id",
        (stamp(until), row_id, owner),
    )
    for text_id, message_id in rows:
        return (
            None if text_id is None else int(text_id),
            None if message_id is None else int(message_id),
        )
    return None


async def mark_sending_many(
    conn: aiosqlite.Connection, row_ids: Sequence[int], owner: str, until: float
) -> dict[int, tuple[int | None, int | None]]:
    """:func:`mark_sending` for several rows in one statement: (text_id, message_id) by
    row id, for the rows still ours to send (the others are missing)."""
    found: dict[int, tuple[int | None, int | None]] = {}
    for group in _chunks(row_ids):
        rows = await conn.execute_fetchall(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?,"
            " resent = resent + (uncertain_at IS NOT NULL AND message_id IS NULL),"
            " uncertain_at = NULL"
            f" WHERE id IN ({_marks(group)}) AND lease_owner = ?"
            " AND status IN ('pending', 'sending') RETURNING id, text_id, message_id",
            (stamp(until), *group, owner),
        )
        for row_id, text_id, message_id in rows:
            found[int(row_id)] = (
                None if text_id is None else int(text_id),
                None if message_id is None else int(message_id),
            )
    return found


async def mark_uncertain(
    conn: aiosqlite.Connection, row_id: int, not_before: float, reason: str
) -> None:
    """The request went out but no answer came back (a timeout, a dropped connection,
    a send cancelled at shutdown): Telegram may or may not have the message. Back to
    pending, not before ``not_before``; the lease stays with the sender."""
    await conn.execute(
        "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ?,"
        " uncertain_at = ? WHERE id = ?",
        (stamp(not_before), reason[:MAX_REASON], utc_now(), row_id),
    )


async def count_resent(conn: aiosqlite.Connection, issue_id: int | None = None) -> int:
    """New messages sent again after a send of theirs got no answer: each a possible
    duplicate (one, if Telegram had taken the unanswered send)."""
    sql = "SELECT coalesce(sum(resent), 0) FROM outbox"
    params: tuple[int, ...] = ()
    if issue_id is not None:
        sql += " WHERE issue_id = ?"
        params = (issue_id,)
    rows = await conn.execute_fetchall(sql, params)
    return int(next(iter(rows))[0])


async def text_of(conn: aiosqlite.Connection, row_id: int) -> str:
    """The row's current text (after a re-publish changed it under a leased row)."""
    rows = await conn.execute_fetchall(
        "SELECT coalesce(t.html, o.text) FROM outbox o"
        " LEFT JOIN outbox_texts t ON t.id = o.text_id WHERE o.id = ?",
        (row_id,),
    )
    for (text,) in rows:
        return str(text)
    return ""


async def mark_sent(
    conn: aiosqlite.Connection, row_id: int, message_id: int | None, text_id: int | None
) -> None:
    """Record a delivered part. If a re-publish changed its text meanwhile, the row
    goes back to pending so the new text is edited in."""
    await conn.execute(
        "UPDATE outbox SET status = CASE WHEN text_id IS ? THEN 'sent' ELSE 'pending' END,"
        " message_id = ?, sent_at = ?, last_error = NULL, lease_owner = NULL,"
        " lease_until = NULL, not_before = NULL WHERE id = ?",
        (text_id, message_id, utc_now(), row_id),
    )


async def mark_sent_many(
    conn: aiosqlite.Connection, marks: Sequence[tuple[int, int | None, int | None]]
) -> None:
    """:func:`mark_sent` for several (row id, message_id, text_id) in one statement."""
    now = utc_now()
    await conn.executemany(
        "UPDATE outbox SET status = CASE WHEN text_id IS ? THEN 'sent' ELSE 'pending' END,"
        " message_id = ?, sent_at = ?, last_error = NULL, lease_owner = NULL,"
        " lease_until = NULL, not_before = NULL WHERE id = ?",
        [(text_id, message_id, now, row_id) for row_id, message_id, text_id in marks],
    )


async def mark_retry(
    conn: aiosqlite.Connection, row_id: int, not_before: float, reason: str
) -> None:
    """Back to pending, not before ``not_before``; the lease stays with the sender."""
    await conn.execute(
        "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ? WHERE id = ?",
        (stamp(not_before), reason[:MAX_REASON], row_id),
    )


async def delete_refused(conn: aiosqlite.Connection, row_id: int) -> None:
    """Telegram would not delete the message (older than 48 h): edit it to the row's
    note (its text) instead, now."""
    await conn.execute(
        "UPDATE outbox SET action = 'edit', status = 'pending', not_before = NULL"
        " WHERE id = ? AND action = 'delete'",
        (row_id,),
    )


async def mark_failed(conn: aiosqlite.Connection, row_id: int, reason: str) -> None:
    await conn.execute(
        "UPDATE outbox SET status = 'failed', last_error = ?, lease_owner = NULL,"
        " lease_until = NULL WHERE id = ?",
        (reason[:MAX_REASON], row_id),
    )


async def chat_gone(conn: aiosqlite.Connection, chat_id: int, reason: str) -> int:
    """Blocked, kicked or deactivated: the chat becomes inactive and its open rows are
    cancelled with Telegram's reason. Returns the number of rows cancelled."""
    await conn.execute(
        "UPDATE chats SET status = 'blocked', updated_at = ? WHERE id = ?",
        (utc_now(), chat_id),
    )
    cur = await conn.execute(
        "UPDATE outbox SET status = 'cancelled', last_error = ?, lease_owner = NULL,"
        " lease_until = NULL WHERE chat_id = ? AND status IN ('pending', 'sending')",
        (reason[:MAX_REASON], chat_id),
    )
    return cur.rowcount


async def migrate_chat(conn: aiosqlite.Connection, old: int, new: int) -> None:
    """A group became supergroup ``new``: move the chat, its settings, topics and
    outbox rows there, and free its open rows so they are sent to the new id."""
    cur = await conn.execute("SELECT 1 FROM chats WHERE id = ?", (new,))
    exists = await cur.fetchone() is not None
    if exists:
        # The supergroup is known already (e.g. someone used it): the old group's
        # settings win, its topics and rows move over.
        await conn.execute(
            "UPDATE chats SET (language, timezone, delivery_time, quiet_start, quiet_end,"
            " status, summary_mode, link_previews, thread_id) = (SELECT language,"
            " timezone, delivery_time, quiet_start, quiet_end, status, summary_mode,"
            " link_previews, thread_id FROM chats WHERE id = ?), type = 'supergroup',"
            " updated_at = ? WHERE id = ?",
            (old, utc_now(), new),
        )
        await conn.execute("DELETE FROM topics WHERE chat_id = ?", (new,))
        await conn.execute("UPDATE topics SET chat_id = ? WHERE chat_id = ?", (new, old))
        await conn.execute(
            "DELETE FROM outbox WHERE chat_id = ? AND (issue_id, part_no) IN"
            " (SELECT issue_id, part_no FROM outbox WHERE chat_id = ?)",
            (new, old),
        )
        await conn.execute("UPDATE outbox SET chat_id = ? WHERE chat_id = ?", (new, old))
        await conn.execute("DELETE FROM chats WHERE id = ?", (old,))
    else:
        await conn.execute(
            "UPDATE chats SET id = ?, type = 'supergroup', updated_at = ? WHERE id = ?",
            (new, utc_now(), old),
        )
    await conn.execute(
        "UPDATE outbox SET lease_owner = NULL, lease_until = NULL, status = 'pending'"
        " WHERE chat_id = ? AND status IN ('pending', 'sending')",
        (new,),
    )


async def release_chat(conn: aiosqlite.Connection, owner: str, chat_id: int) -> None:
    await conn.execute(
        "UPDATE outbox SET lease_owner = NULL, lease_until = NULL"
        " WHERE lease_owner = ? AND chat_id = ?",
        (owner, chat_id),
    )


async def release(conn: aiosqlite.Connection, owner: str) -> None:
    """Give every row back (on a clean stop); rows left ``sending`` stay so."""
    await conn.execute(
        "UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?",
        (owner,),
    )
