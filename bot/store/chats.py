"""Chats the bot serves: who they are, their status and their delivery settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiosqlite

from bot.store.base import StoreError, utc_now

ChatType = Literal["private", "group", "supergroup", "channel"]
ChatStatus = Literal["active", "paused", "blocked"]
Language = Literal["zh", "en"]
SummaryMode = Literal["full", "compact", "titles"]
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
TITLE_MAX = 128


@dataclass(frozen=True, slots=True)
class Chat:
    id: int
    type: ChatType
    title: str | None
    language: Language
    timezone: str | None
    delivery_time: str | None
    quiet_start: str | None
    quiet_end: str | None
    status: ChatStatus
    summary_mode: SummaryMode
    link_previews: bool
    thread_id: int | None
    silent: bool = False  # digests arrive without a notification sound
    owner_id: int | None = None  # a reader's channel: the user who manages it
    left_at: str | None = None  # when an active chat stopped (None: active, or never was)


CHAT_COLUMNS = (
    "id, type, title, language, timezone, delivery_time, quiet_start, quiet_end, status,"
    " summary_mode, link_previews, thread_id, silent, owner_id, left_at"
)


def chat_from_row(row: aiosqlite.Row | tuple[object, ...]) -> Chat:
    r = tuple(row)
    return Chat(
        int(str(r[0])),
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        bool(r[10]),
        None if r[11] is None else int(str(r[11])),
        bool(r[12]),
        None if r[13] is None else int(str(r[13])),
        None if r[14] is None else str(r[14]),
    )


async def upsert_chat(
    conn: aiosqlite.Connection,
    chat_id: int,
    type_: ChatType,
    title: str | None = None,
    language: Language | None = None,
    *,
    status: ChatStatus = "active",
) -> Chat:
    """Create the chat (with ``status``, never recorded as having left) or refresh its
    type and title; language only on creation unless given."""
    if type_ not in get_args(ChatType):
        raise StoreError(f"unknown chat type {type_!r}")
    now = utc_now()
    await conn.execute(
        "INSERT INTO chats (id, type, title, language, status, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET type = excluded.type,"
        " title = excluded.title, updated_at = excluded.updated_at",
        (
            chat_id,
            type_,
            (title or None) and title[:TITLE_MAX],
            language or "zh",
            status,
            now,
            now,
        ),
    )
    if language is not None:
        await update_settings(conn, chat_id, language=language)
    chat = await get_chat(conn, chat_id)
    assert chat is not None
    return chat


async def get_chat(conn: aiosqlite.Connection, chat_id: int) -> Chat | None:
    async with conn.execute(f"SELECT {CHAT_COLUMNS} FROM chats WHERE id = ?", (chat_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else chat_from_row(row)


async def set_status(conn: aiosqlite.Connection, chat_id: int, status: ChatStatus) -> bool:
    """Mark a chat active, paused or blocked; False if the chat is unknown. Leaving
    ``active`` records when (``left_at``); becoming active again clears it."""
    if status not in get_args(ChatStatus):
        raise StoreError(f"unknown chat status {status!r}")
    now = utc_now()
    cursor = await conn.execute(
        "UPDATE chats SET left_at = CASE WHEN :status = 'active' THEN NULL"
        " WHEN status = 'active' THEN :now ELSE left_at END,"
        " status = :status, updated_at = :now WHERE id = :id",
        {"status": status, "now": now, "id": chat_id},
    )
    return cursor.rowcount > 0


def _check_time(name: str, value: str | None) -> None:
    if value is not None and not _HHMM.fullmatch(value):
        raise StoreError(f"{name} must be a time like 08:00 or 21:30")


class _Unset(Enum):
    UNSET = 0


UNSET = _Unset.UNSET


async def update_settings(
    conn: aiosqlite.Connection,
    chat_id: int,
    *,
    language: Language | None = None,
    timezone: str | _Unset | None = UNSET,
    delivery_time: str | _Unset | None = UNSET,
    quiet_hours: tuple[str, str] | _Unset | None = UNSET,
    summary_mode: SummaryMode | None = None,
    link_previews: bool | None = None,
    thread_id: int | _Unset | None = UNSET,
    silent: bool | None = None,
) -> Chat:
    """Change some settings; ``None`` resets the nullable ones (delivery_time None =
    deliver on publish, timezone None = the bot's default, quiet_hours None = none)."""
    changes: dict[str, object] = {}
    if language is not None:
        if language not in get_args(Language):
            raise StoreError("language must be zh or en")
        changes["language"] = language
    if timezone is not UNSET:
        if timezone is not None:
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise StoreError(f"unknown time zone {timezone!r} (try Asia/Shanghai)") from None
        changes["timezone"] = timezone
    if delivery_time is not UNSET:
        _check_time("the delivery time", delivery_time)
        changes["delivery_time"] = delivery_time
    if quiet_hours is not UNSET:
        start, end = quiet_hours if isinstance(quiet_hours, tuple) else (None, None)
        _check_time("quiet hours", start)
        _check_time("quiet hours", end)
        changes["quiet_start"], changes["quiet_end"] = start, end
    if summary_mode is not None:
        if summary_mode not in get_args(SummaryMode):
            raise StoreError("summary mode must be full, compact or titles")
        changes["summary_mode"] = summary_mode
    if link_previews is not None:
        changes["link_previews"] = int(link_previews)
    if thread_id is not UNSET:
        changes["thread_id"] = thread_id
    if silent is not None:
        changes["silent"] = int(silent)
    if changes:
        assignments = ", ".join(f"{name} = :{name}" for name in changes)  # fixed names only
        cursor = await conn.execute(
            f"UPDATE chats SET {assignments}, updated_at = :now WHERE id = :id",
            {**changes, "now": utc_now(), "id": chat_id},
        )
        if cursor.rowcount == 0:
            raise StoreError(f"unknown chat {chat_id}")
    chat = await get_chat(conn, chat_id)
    if chat is None:
        raise StoreError(f"unknown chat {chat_id}")
    return chat


async def mark_search_hinted(conn: aiosqlite.Connection, chat_id: int) -> bool:
    """Remember that the chat was told plain text is searched; True the first time only."""
    cursor = await conn.execute(
        "UPDATE chats SET search_hinted = 1, updated_at = ? WHERE id = ? AND search_hinted = 0",
        (utc_now(), chat_id),
    )
    return cursor.rowcount > 0


async def set_owner(conn: aiosqlite.Connection, chat_id: int, owner_id: int | None) -> None:
    """Who manages a reader's channel (None: nobody; it is no longer listed)."""
    cursor = await conn.execute(
        "UPDATE chats SET owner_id = ?, updated_at = ? WHERE id = ?",
        (owner_id, utc_now(), chat_id),
    )
    if cursor.rowcount == 0:
        raise StoreError(f"unknown chat {chat_id}")


async def owned_channels(conn: aiosqlite.Connection, owner_id: int) -> list[Chat]:
    """The channels ``owner_id`` subscribed and manages, by title."""
    async with conn.execute(
        f"SELECT {CHAT_COLUMNS} FROM chats WHERE owner_id = ? AND type = 'channel'"
        " ORDER BY title COLLATE NOCASE, id",
        (owner_id,),
    ) as cursor:
        return [chat_from_row(row) for row in await cursor.fetchall()]


async def move_chat(conn: aiosqlite.Connection, old_id: int, new_id: int) -> None:
    """A group became a supergroup: keep its settings, topics and outbox under the new id."""
    cursor = await conn.execute(
        "UPDATE chats SET id = ?, type = 'supergroup', updated_at = ? WHERE id = ?",
        (new_id, utc_now(), old_id),
    )
    if cursor.rowcount == 0:
        raise StoreError(f"unknown chat {old_id}")


async def count_chats(conn: aiosqlite.Connection) -> dict[str, int]:
    """Chats per status (every status present, zero when none)."""
    counts = dict.fromkeys(get_args(ChatStatus), 0)
    async with conn.execute("SELECT status, count(*) FROM chats GROUP BY status") as cursor:
        for status, n in await cursor.fetchall():
            counts[str(status)] = int(n)
    return counts
