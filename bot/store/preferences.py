"""An e-mail subscriber's preferences, as its preferences page (/prefs/<token>) saves
them: topics, language, delivery time, time zone and pause — all in one transaction, so
a refused value leaves every other one as it was."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiosqlite

from bot.store.base import StoreError, utc_now
from bot.store.chats import Language
from bot.store.subscribers import Subscriber, get_subscriber
from bot.store.topics import set_subscriber_topics

_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
MAX_TZ = 64


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the page sends: ``topics`` as stored terms or typed words (``#quantization``,
    ``量化``, ``-招聘``), ``delivery_time`` ``HH:MM`` or None (as soon as published),
    ``timezone`` an IANA name or None (the bot's default)."""

    topics: Sequence[str]
    language: Language
    delivery_time: str | None
    timezone: str | None
    paused: bool


def _check(prefs: Preferences) -> None:
    if prefs.language not in get_args(Language):
        raise StoreError("language must be zh or en")
    if prefs.delivery_time is not None and not _TIME.fullmatch(prefs.delivery_time):
        raise StoreError("the delivery time must be HH:MM, e.g. 08:30")
    if prefs.timezone is not None:
        try:
            if len(prefs.timezone) > MAX_TZ:
                raise ValueError(prefs.timezone)
            ZoneInfo(prefs.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise StoreError("the time zone must be an IANA name like Asia/Shanghai") from None


async def save_preferences(
    conn: aiosqlite.Connection, subscriber_id: int, prefs: Preferences
) -> Subscriber | None:
    """Save every preference of a subscriber still on the list (unconfirmed or confirmed);
    None if it is gone, unsubscribed or suppressed. Raises StoreError (TopicError for a
    topic) before changing anything."""
    _check(prefs)
    current = await get_subscriber(conn, subscriber_id)
    if current is None or current.status not in ("unconfirmed", "confirmed"):
        return None
    now = utc_now()
    paused_at = (current.paused_at or now) if prefs.paused else None
    await set_subscriber_topics(conn, subscriber_id, prefs.topics)
    await conn.execute(
        "UPDATE email_subscribers SET language = ?, delivery_time = ?, timezone = ?,"
        " paused_at = ?, updated_at = ? WHERE id = ?",
        (prefs.language, prefs.delivery_time, prefs.timezone, paused_at, now, subscriber_id),
    )
    return await get_subscriber(conn, subscriber_id)
