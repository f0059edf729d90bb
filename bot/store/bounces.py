"""Bounce bookkeeping: every report received, and what it did to its subscriber.

:func:`record_bounce` runs inside one ``db.write`` transaction and applies the policy:

- a **hard** bounce (5.x.x) suppresses the subscriber at once (status ``bounced``);
- a **soft** bounce (4.x.x, or delayed) is counted; ``SOFT_LIMIT`` soft bounces within
  ``SOFT_WINDOW`` suppress the subscriber (``bounced``, the reason says so);
- a **complaint** (an ARF report: the reader pressed "this is spam") unsubscribes them
  from everything (status ``complained``), whatever their status was;
- an **unsubscribe** request (a mail to List-Unsubscribe's mailto, bot.mail.unsubscribe_mail)
  unsubscribes an unconfirmed or confirmed subscriber (status ``unsubscribed``, reason
  "unsubscribed by mail", effect ``unsubscribed``); one already off the list stays as it is.

A complaint is never replaced by a bounce. Recording the same report again (an MTA
delivers it again after a 451, or an IMAP message is read again before it was deleted)
changes nothing: ``report_key`` is unique. Reports naming no subscriber of ours (a
forged or expired VERP token) are recorded too, as ``unknown``, for the maintainer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal

import aiosqlite

from bot.store.base import parse_stamp, to_stamp, utc_now
from bot.store.subscribers import get_subscriber, suppress, unsubscribe

SOFT_LIMIT: Final = 3
SOFT_WINDOW: Final = timedelta(days=14)
DIAGNOSTIC_MAX: Final = 300
KEY_MAX: Final = 400
BounceKind = Literal["hard", "soft", "complaint", "unsubscribe"]
UNKNOWN_KEPT: Final = 10_000  # reports naming no subscriber of ours kept for the maintainer
Effect = Literal["suppressed", "counted", "none", "unknown", "unsubscribed"]
UNSUBSCRIBED_BY_MAIL: Final = "unsubscribed by mail"
Via = Literal["smtp", "imap", "test"]


@dataclass(frozen=True, slots=True)
class BounceReport:
    """One report, as the store needs it (built from ``bot.mail.bounces.Bounce``)."""

    kind: BounceKind
    subscriber_id: int | None
    key: str
    status: str | None = None
    recipient: str | None = None
    diagnostic: str = ""


@dataclass(frozen=True, slots=True)
class Recorded:
    """What :func:`record_bounce` did: ``duplicate`` when the report was known already;
    ``soft_count`` the subscriber's soft bounces within the window (this one included)."""

    effect: Effect
    duplicate: bool
    soft_count: int = 0


@dataclass(frozen=True, slots=True)
class BounceEvent:
    id: int
    address: str | None
    kind: BounceKind
    status: str | None
    recipient: str | None
    diagnostic: str
    effect: Effect
    source: Via
    received_at: str


def _clean(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


async def _soft_count(conn: aiosqlite.Connection, subscriber_id: int, since: str) -> int:
    async with conn.execute(
        "SELECT count(*) FROM bounce_events"
        " WHERE subscriber_id = ? AND kind = 'soft' AND received_at >= ?",
        (subscriber_id, since),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def _reason(report: BounceReport, soft_count: int = 0) -> str:
    code = f" {report.status}" if report.status else ""
    said = f": {_clean(report.diagnostic, 150)}" if report.diagnostic else ""
    if report.kind == "complaint":
        return "complaint (reported as spam)"
    if report.kind == "hard":
        return f"hard bounce{code}{said}"
    days = SOFT_WINDOW.days
    return f"{soft_count} soft bounces within {days} days (last{code}{said})"


async def _forget_old_unknown(conn: aiosqlite.Connection, newest: int | None, kept: int) -> None:
    """Reports naming nobody of ours cost an attacker nothing to send: keep only the
    latest ``UNKNOWN_KEPT`` of them, so the table stays bounded (known ones are kept)."""
    await conn.execute(
        "DELETE FROM bounce_events WHERE subscriber_id IS NULL AND id <= coalesce(("
        "SELECT id FROM bounce_events WHERE subscriber_id IS NULL AND id <= ?"
        " ORDER BY id DESC LIMIT 1 OFFSET ?), -1)",
        (newest or 0, kept),
    )


async def record_bounce(
    conn: aiosqlite.Connection,
    report: BounceReport,
    *,
    via: Via,
    now: str | None = None,
    soft_limit: int = SOFT_LIMIT,
    soft_window: timedelta = SOFT_WINDOW,
    unknown_kept: int = UNKNOWN_KEPT,
) -> Recorded:
    """Record ``report`` and apply it to its subscriber (call inside ``db.write``)."""
    now = now or utc_now()
    subscriber = (
        None if report.subscriber_id is None else await get_subscriber(conn, report.subscriber_id)
    )
    cursor = await conn.execute(
        "INSERT INTO bounce_events (subscriber_id, kind, status, recipient, diagnostic,"
        " effect, report_key, source, received_at) VALUES (?, ?, ?, ?, ?, 'none', ?, ?, ?)"
        " ON CONFLICT (report_key) DO NOTHING",
        (
            None if subscriber is None else subscriber.id,
            report.kind,
            _clean(report.status, 20) or None,
            _clean(report.recipient, 254) or None,
            _clean(report.diagnostic, DIAGNOSTIC_MAX),
            report.key[:KEY_MAX],
            via,
            now,
        ),
    )
    if cursor.rowcount == 0:
        return Recorded("none", duplicate=True)
    event_id = cursor.lastrowid
    effect: Effect = "none"
    soft = 0
    if subscriber is None:
        effect = "unknown"
        await _forget_old_unknown(conn, event_id, unknown_kept)
    elif report.kind == "unsubscribe":
        if subscriber.status in ("unconfirmed", "confirmed"):
            await unsubscribe(conn, subscriber.id, UNSUBSCRIBED_BY_MAIL)
            effect = "unsubscribed"
    elif report.kind == "complaint":
        if subscriber.status != "complained":
            await suppress(conn, subscriber.id, "complained", _reason(report))
            effect = "suppressed"
    elif subscriber.status in ("bounced", "complained"):
        effect = "none"  # already suppressed: a complaint is never turned into a bounce
    elif report.kind == "hard":
        await suppress(conn, subscriber.id, "bounced", _reason(report))
        effect = "suppressed"
    else:
        since = to_stamp(parse_stamp(now) - soft_window)
        soft = await _soft_count(conn, subscriber.id, since)
        effect = "counted"
        if soft >= soft_limit:
            await suppress(conn, subscriber.id, "bounced", _reason(report, soft))
            effect = "suppressed"
    await conn.execute("UPDATE bounce_events SET effect = ? WHERE id = ?", (effect, event_id))
    return Recorded(effect, duplicate=False, soft_count=soft)


async def recent_bounces(
    conn: aiosqlite.Connection, *, address: str | None = None, limit: int = 50
) -> list[BounceEvent]:
    """The latest reports, newest first (those about ``address`` only, when given)."""
    where, args = ("", [])
    if address:
        where, args = "WHERE s.address = ? OR b.recipient = ?", [address, address]
    async with conn.execute(
        "SELECT b.id, s.address, b.kind, b.status, b.recipient, b.diagnostic, b.effect,"
        " b.source, b.received_at FROM bounce_events b"
        f" LEFT JOIN email_subscribers s ON s.id = b.subscriber_id {where}"
        " ORDER BY b.received_at DESC, b.id DESC LIMIT ?",
        (*args, max(1, min(limit, 10_000))),
    ) as cursor:
        rows = await cursor.fetchall()
    return [BounceEvent(int(r[0]), *tuple(r)[1:]) for r in rows]
