"""A chat's topics: include/exclude terms, ``#slug`` for a catalogue topic, else the
normalized free word (see bot.topics.filter, which matches them)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import aiosqlite

from bot.store.base import StoreError, utc_now
from bot.store.chats import CHAT_COLUMNS, Chat, chat_from_row
from bot.text.normalize import strip_invisible
from bot.topics.filter import subscription_term, topic_of

MAX_TOPICS = 20
MAX_TOPIC_CHARS = 32
_SPACE = re.compile(r"\s+")


class TopicError(StoreError):
    """A topic the chat cannot have, as one sentence; ``kind`` says which rule it broke
    (``empty``, ``no_letters``, ``too_long``, ``too_many``) for callers that word it
    themselves."""

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Topic:
    term: str
    display: str
    exclude: bool

    @property
    def slug(self) -> str | None:
        """The catalogue topic's slug, or None for a free word."""
        topic = topic_of(self.term)
        return topic.slug if topic is not None else None


def parse_topic(raw: str) -> Topic:
    """``量化`` → include, ``-招聘`` → exclude; a catalogue topic's name or alias becomes
    ``#slug`` (量化, quantization, INT8 → ``#quantization``), other words are normalized
    like search terms. Invisible characters (zero-width, NUL, controls) are dropped first."""
    display = _SPACE.sub(" ", strip_invisible(raw)).strip()
    exclude = display.startswith(("-", "－"))
    if exclude:
        display = display[1:].strip()
    if not display:
        raise TopicError("a topic needs at least one character", "empty")
    if len(display) > MAX_TOPIC_CHARS:
        raise TopicError(f"a topic can be at most {MAX_TOPIC_CHARS} characters long", "too_long")
    if not any(ch.isalnum() for ch in display):
        raise TopicError("a topic needs at least one letter or digit", "no_letters")
    term = subscription_term(display)
    if not term:
        raise TopicError("a topic needs at least one character", "empty")
    return Topic(term, display, exclude)


# A topic row belongs to a chat or to an e-mail subscriber: the column naming its owner.
_Owner = Literal["chat_id", "subscriber_id"]


async def _list(conn: aiosqlite.Connection, owner: _Owner, owner_id: int) -> list[Topic]:
    async with conn.execute(
        f"SELECT term, display, exclude FROM topics WHERE {owner} = ? ORDER BY rowid",
        (owner_id,),
    ) as cursor:
        return [Topic(str(r[0]), str(r[1]), bool(r[2])) for r in await cursor.fetchall()]


async def _add(
    conn: aiosqlite.Connection, owner: _Owner, owner_id: int, raw: Iterable[str], too_many: str
) -> list[Topic]:
    wanted = [parse_topic(item) for item in raw]
    current = {t.term: t for t in await _list(conn, owner, owner_id)}
    fresh = {t.term for t in wanted} - current.keys()
    if len(current) + len(fresh) > MAX_TOPICS:
        raise TopicError(too_many, "too_many")
    now = utc_now()
    for topic in wanted:
        await conn.execute(
            f"INSERT INTO topics ({owner}, term, display, exclude, created_at)"
            f" VALUES (?, ?, ?, ?, ?) ON CONFLICT ({owner}, term) DO UPDATE SET"
            " display = excluded.display, exclude = excluded.exclude",
            (owner_id, topic.term, topic.display, int(topic.exclude), now),
        )
    return await _list(conn, owner, owner_id)


async def list_topics(conn: aiosqlite.Connection, chat_id: int) -> list[Topic]:
    """The chat's topics in the order they were added."""
    return await _list(conn, "chat_id", chat_id)


async def add_topics(conn: aiosqlite.Connection, chat_id: int, raw: Iterable[str]) -> list[Topic]:
    """Add (or re-add, updating include/exclude) topics; all or none. Returns the new list."""
    return await _add(
        conn,
        "chat_id",
        chat_id,
        raw,
        f"a chat can have at most {MAX_TOPICS} topics; remove some with /untopic first",
    )


async def remove_topic(conn: aiosqlite.Connection, chat_id: int, raw: str) -> bool:
    """Remove one topic (given as typed, with or without ``-``); False if it was not set."""
    try:
        term = parse_topic(raw).term
    except TopicError:
        return False
    cursor = await conn.execute(
        "DELETE FROM topics WHERE chat_id = ? AND term = ?", (chat_id, term)
    )
    return cursor.rowcount > 0


async def clear_topics(conn: aiosqlite.Connection, chat_id: int) -> int:
    """Remove every topic of the chat; returns how many there were."""
    cursor = await conn.execute("DELETE FROM topics WHERE chat_id = ?", (chat_id,))
    return cursor.rowcount


async def subscriber_topics(conn: aiosqlite.Connection, subscriber_id: int) -> list[Topic]:
    """An e-mail subscriber's topics in the order they were added (empty = everything)."""
    return await _list(conn, "subscriber_id", subscriber_id)


async def set_subscriber_topics(
    conn: aiosqlite.Connection, subscriber_id: int, raw: Iterable[str]
) -> list[Topic]:
    """Replace an e-mail subscriber's topics (parsed exactly like a chat's); all or none."""
    items = list(raw)
    for item in items:
        parse_topic(item)  # refuse before deleting anything
    await conn.execute("DELETE FROM topics WHERE subscriber_id = ?", (subscriber_id,))
    return await _add(
        conn,
        "subscriber_id",
        subscriber_id,
        items,
        f"a subscriber can have at most {MAX_TOPICS} topics",
    )


async def active_chats_with_topics(
    conn: aiosqlite.Connection,
) -> list[tuple[Chat, list[Topic]]]:
    """Every active chat with its topics (empty list = gets every entry), by chat id."""
    async with conn.execute(
        f"SELECT {CHAT_COLUMNS} FROM chats WHERE status = 'active' ORDER BY id"
    ) as cursor:
        chats = [chat_from_row(row) for row in await cursor.fetchall()]
    by_chat: dict[int, list[Topic]] = {chat.id: [] for chat in chats}
    async with conn.execute(
        "SELECT t.chat_id, t.term, t.display, t.exclude FROM topics t"
        " JOIN chats c ON c.id = t.chat_id WHERE c.status = 'active' ORDER BY t.rowid"
    ) as cursor:
        async for r in cursor:
            by_chat[int(r[0])].append(Topic(str(r[1]), str(r[2]), bool(r[3])))
    return [(chat, by_chat[chat.id]) for chat in chats]
