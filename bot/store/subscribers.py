"""E-mail subscribers: one row per normalized address, its consent and its suppression.

Status: ``unconfirmed`` (signed up, confirmation mail sent) → ``confirmed`` (gets the
digest) → ``unsubscribed``; ``bounced`` and ``complained`` are suppressions (never
mailed again unless a maintainer re-adds the address). Every change of status records
when, and a suppression or removal records why (``reason``), for ``bot email list``.
Topics are rows of the shared ``topics`` table (bot.store.topics), parsed and matched
exactly like a chat's. Addresses arrive here normalized (bot.mail.address).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal, get_args

import aiosqlite

from bot.store.base import StoreError, parse_stamp, utc_now
from bot.store.chats import Language
from bot.store.topics import Topic, set_subscriber_topics, subscriber_topics

SubscriberStatus = Literal["unconfirmed", "confirmed", "unsubscribed", "bounced", "complained"]
STATUSES: Final[tuple[SubscriberStatus, ...]] = get_args(SubscriberStatus)
SUPPRESSED: Final = frozenset({"bounced", "complained"})
Source = Literal["web", "import", "admin"]
CONFIRM_MAIL_EVERY: Final = timedelta(hours=1)
DETAIL_MAX: Final = 200


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    address: str
    status: SubscriberStatus
    language: Language
    timezone: str | None
    delivery_time: str | None
    source: Source
    source_detail: str | None
    created_at: str
    confirmed_at: str | None
    reason: str | None
    suppressed_at: str | None
    confirm_sent_at: str | None
    paused_at: str | None = None  # paused from the preferences page (0019_subscriber_pause)


_COLUMNS = (
    "id, address, status, language, timezone, delivery_time, source, source_detail,"
    " created_at, confirmed_at, reason, suppressed_at, confirm_sent_at, paused_at"
)
# The subscribers the digest is mailed to, as a WHERE condition for the sender's queries.
DELIVERABLE_SQL: Final = "status = 'confirmed' AND paused_at IS NULL"


def is_deliverable(subscriber: Subscriber) -> bool:
    """Whether the digest is mailed to this subscriber: confirmed and not paused."""
    return subscriber.status == "confirmed" and subscriber.paused_at is None


def _row(row: aiosqlite.Row | tuple[object, ...]) -> Subscriber:
    r = tuple(row)
    return Subscriber(int(str(r[0])), *r[1:])


def _detail(text: str | None) -> str | None:
    text = " ".join((text or "").split())[:DETAIL_MAX]
    return text or None


async def get_subscriber(conn: aiosqlite.Connection, subscriber_id: int) -> Subscriber | None:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM email_subscribers WHERE id = ?", (subscriber_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _row(row)


async def find_subscriber(conn: aiosqlite.Connection, address: str) -> Subscriber | None:
    """The subscriber with this (normalized) address, or None."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM email_subscribers WHERE address = ?", (address,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _row(row)


async def list_subscribers(
    conn: aiosqlite.Connection, status: SubscriberStatus | None = None
) -> list[tuple[Subscriber, list[Topic]]]:
    """Every subscriber (of one status) with its topics, oldest first."""
    if status is not None and status not in STATUSES:
        raise StoreError(f"unknown status {status!r}: one of {', '.join(STATUSES)}")
    where, args = ("WHERE status = ?", (status,)) if status else ("", ())
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM email_subscribers {where} ORDER BY id", args
    ) as cursor:
        found = [_row(row) for row in await cursor.fetchall()]
    return [(s, await subscriber_topics(conn, s.id)) for s in found]


@dataclass(frozen=True, slots=True)
class SignUp:
    """What :func:`sign_up` did: ``mail`` is True when a confirmation mail is now due (its
    hourly allowance taken; ``previous`` is the last one's time, for
    :func:`release_confirmation_mail` when it cannot be sent)."""

    subscriber: Subscriber
    mail: bool
    previous: str | None = None


async def sign_up(
    conn: aiosqlite.Connection,
    address: str,
    *,
    topics: list[str],
    language: Language,
    source: Source,
    detail: str | None = None,
    now: str | None = None,
) -> SignUp:
    """A sign-up that still needs confirming: creates an unconfirmed subscriber, or
    makes an unsubscribed (or still unconfirmed) one unconfirmed with these topics and
    language — and takes the address's hourly confirmation-mail allowance.

    Within the hour of the last confirmation mail nothing changes; a confirmed or
    suppressed subscriber is left exactly as it was (a stranger typing an address must
    not change a reader's topics, nor lift a suppression)."""
    _check(language, source)
    now = now or utc_now()
    current = await find_subscriber(conn, address)
    if current is None:
        cursor = await conn.execute(
            "INSERT INTO email_subscribers (address, language, source, source_detail,"
            " created_at, updated_at, confirm_sent_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (address, language, source, _detail(detail), now, now, now),
        )
        assert cursor.lastrowid is not None
        subscriber_id, previous = cursor.lastrowid, None
    elif current.status in ("unconfirmed", "unsubscribed"):
        claimed = await claim_confirmation_mail(conn, current.id, now=now)
        if claimed is False:
            return SignUp(current, mail=False)
        subscriber_id, previous = current.id, claimed
        await conn.execute(
            "UPDATE email_subscribers SET status = 'unconfirmed', language = ?, source = ?,"
            " source_detail = ?, reason = NULL, updated_at = ? WHERE id = ?",
            (language, source, _detail(detail), now, subscriber_id),
        )
    else:
        return SignUp(current, mail=False)
    await set_subscriber_topics(conn, subscriber_id, topics)
    found = await get_subscriber(conn, subscriber_id)
    assert found is not None
    return SignUp(found, mail=True, previous=previous)


async def add_confirmed(
    conn: aiosqlite.Connection,
    address: str,
    *,
    topics: list[str],
    language: Language,
    source: Source,
    detail: str | None,
) -> Subscriber:
    """A subscriber whose consent was given elsewhere (``detail`` says where): confirmed
    now, with these topics. A suppressed address is refused (one sentence why)."""
    _check(language, source)
    current = await find_subscriber(conn, address)
    if current is not None and current.status in SUPPRESSED:
        raise StoreError(
            f"{address} is suppressed ({current.status}: {current.reason or 'no reason'},"
            f" {current.suppressed_at}); it is not added again"
        )
    now = utc_now()
    if current is None:
        cursor = await conn.execute(
            "INSERT INTO email_subscribers (address, status, language, source, source_detail,"
            " created_at, updated_at, confirmed_at) VALUES (?, 'confirmed', ?, ?, ?, ?, ?, ?)",
            (address, language, source, _detail(detail), now, now, now),
        )
        assert cursor.lastrowid is not None
        subscriber_id = cursor.lastrowid
    else:
        subscriber_id = current.id
        await conn.execute(
            "UPDATE email_subscribers SET status = 'confirmed', language = ?, source = ?,"
            " source_detail = ?, reason = NULL, updated_at = ?,"
            " confirmed_at = coalesce(confirmed_at, ?) WHERE id = ?",
            (language, source, _detail(detail), now, now, subscriber_id),
        )
    await set_subscriber_topics(conn, subscriber_id, topics)
    found = await get_subscriber(conn, subscriber_id)
    assert found is not None
    return found


def _check(language: str, source: str) -> None:
    if language not in get_args(Language):
        raise StoreError("language must be zh or en")
    if source not in get_args(Source):
        raise StoreError("the consent source must be web, import or admin")


async def claim_confirmation_mail(
    conn: aiosqlite.Connection, subscriber_id: int, *, now: str | None = None
) -> str | Literal[False] | None:
    """Record that a confirmation mail goes out now, unless one went out within the last
    hour (False). Returns the previous time (or None), for :func:`release_confirmation_mail`
    when the mail could not be sent."""
    now = now or utc_now()
    found = await get_subscriber(conn, subscriber_id)
    if found is None:
        raise StoreError(f"unknown subscriber {subscriber_id}")
    previous = found.confirm_sent_at
    if previous is not None and parse_stamp(now) - parse_stamp(previous) < CONFIRM_MAIL_EVERY:
        return False
    await conn.execute(
        "UPDATE email_subscribers SET confirm_sent_at = ? WHERE id = ?", (now, subscriber_id)
    )
    return previous


async def release_confirmation_mail(
    conn: aiosqlite.Connection, subscriber_id: int, previous: str | None
) -> None:
    """The mail claimed by :func:`claim_confirmation_mail` was not sent: undo the claim."""
    await conn.execute(
        "UPDATE email_subscribers SET confirm_sent_at = ? WHERE id = ?", (previous, subscriber_id)
    )


async def confirm(conn: aiosqlite.Connection, subscriber_id: int) -> Subscriber | None:
    """Confirm an unconfirmed subscriber (a confirmed one stays as it is); None when the
    subscriber is gone, unsubscribed since, or suppressed."""
    now = utc_now()
    await conn.execute(
        "UPDATE email_subscribers SET status = 'confirmed', confirmed_at = ?, updated_at = ?"
        " WHERE id = ? AND status = 'unconfirmed'",
        (now, now, subscriber_id),
    )
    found = await get_subscriber(conn, subscriber_id)
    return found if found is not None and found.status == "confirmed" else None


async def unsubscribe(
    conn: aiosqlite.Connection, subscriber_id: int, reason: str
) -> Subscriber | None:
    """Unsubscribe (idempotent; a suppression stays a suppression); None if unknown."""
    now = utc_now()
    await conn.execute(
        "UPDATE email_subscribers SET status = 'unsubscribed', unsubscribed_at = ?,"
        " reason = ?, updated_at = ? WHERE id = ? AND status IN ('unconfirmed', 'confirmed')",
        (now, _detail(reason), now, subscriber_id),
    )
    return await get_subscriber(conn, subscriber_id)


async def suppress(
    conn: aiosqlite.Connection,
    subscriber_id: int,
    status: Literal["bounced", "complained"],
    reason: str,
) -> Subscriber | None:
    """Never mail this subscriber again: a hard bounce or a complaint, with its reason."""
    if status not in SUPPRESSED:
        raise StoreError("a suppression is bounced or complained")
    now = utc_now()
    await conn.execute(
        "UPDATE email_subscribers SET status = ?, reason = ?, suppressed_at = ?, updated_at = ?"
        " WHERE id = ?",
        (status, _detail(reason), now, now, subscriber_id),
    )
    return await get_subscriber(conn, subscriber_id)
