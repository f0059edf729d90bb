"""Turning a published (or re-published) issue into outbox rows, without aiogram.

Each subscribed active chat gets one row per rendered part. Rendering happens
once per distinct (language, summary mode, topics) combination, not once per
chat, so 100,000 chats cost a handful of renders and one bulk insert. Each stored
text keeps the url of its first entry: the article previewed for chats that have
link previews on (the setting itself is read when the row is sent, so changing it
applies to digests already queued).

Re-publishing a revised issue diffs each chat's new parts against its rows:
parts already delivered are edited in place when their text changed, extra parts
are added, parts that vanished are edited to a short note (or cancelled if never
sent), and chats not yet served simply get the new text. Nothing is sent twice.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from bot.delivery.timing import next_delivery
from bot.digest.model import Issue
from bot.i18n import t
from bot.render.digest import Tags, render_digest
from bot.render.entry import safe_url
from bot.store import enqueue as db
from bot.store.base import to_stamp
from bot.store.chats import Chat
from bot.store.db import savepoint
from bot.store.enqueue import REMOVED, Change, NewRow, OutboxRow
from bot.store.entry_topics import issue_tags
from bot.store.topics import Topic, active_chats_with_topics
from bot.topics.filter import term_label

RenderKey = tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    chats: int  # chats that get at least one part
    rows_added: int
    edits: int  # delivered parts queued for editMessageText
    updated: int  # not yet delivered parts whose text changed
    cancelled: int
    renders: int
    deferred: int  # chats waiting for their delivery time or quiet hours


def channel_chat_id(channel: str) -> tuple[int, str | None]:
    """``BOT_CHANNEL`` as a chat id: numeric as is; ``@name`` gets a stable id outside
    Telegram's range (ids have at most 52 bits) and is sent to by name."""
    text = channel.strip()
    try:
        return int(text), None
    except ValueError:
        name = text if text.startswith("@") else "@" + text
        return -(2**53) - zlib.crc32(name.lower().encode()), name


def render_key(chat: Chat, topics: Sequence[Topic]) -> RenderKey:
    include = tuple(t.term for t in topics if not t.exclude)
    exclude = tuple(t.term for t in topics if t.exclude)
    lang = chat.language
    labels = (
        *(term_label(t.term, lang, t.display) for t in topics if not t.exclude),
        *(f"-{term_label(t.term, lang, t.display)}" for t in topics if t.exclude),
    )
    return lang, chat.summary_mode, include, exclude, labels


def _render(issue: Issue, key: RenderKey, tags: Tags | None = None) -> list[tuple[str, str | None]]:
    """Each part's html and the article it previews (its first entry's url, if any)."""
    lang, mode, include, exclude, labels = key
    parts = render_digest(
        issue,
        lang=lang,
        include=include,
        exclude=exclude,
        topic_labels=labels,
        tags=tags,
        mode=mode,  # type: ignore[arg-type]
    )
    urls = {entry.key: safe_url(entry.url) for entry in issue.entries if entry.url}
    previews = [next((u for k in part.entry_keys if (u := urls.get(k))), None) for part in parts]
    return [(part.html, url) for part, url in zip(parts, previews, strict=True)]


def removed_note(lang: str) -> str:
    """What a delivered part that vanished in a revision is edited to."""
    return str(t("delivery.removed_note", lang))


def _plan_chat(
    chat_id: int,
    texts: Sequence[int],
    rows: dict[int, OutboxRow],
    due: str,
    now: str,
    note: int,
) -> tuple[list[NewRow], list[Change]]:
    served = any(row.message_id is not None for row in rows.values())
    new: list[NewRow] = []
    changes: list[Change] = []
    for part_no, text_id in enumerate(texts):
        row = rows.get(part_no)
        if row is None:
            new.append(NewRow(chat_id, part_no, text_id, now if served else due))
            continue
        if row.text_id == text_id and row.status not in ("failed", "cancelled"):
            continue
        if row.status in ("pending", "sending"):
            changes.append(Change(row.id, text_id, row.status, None))
        else:  # sent (edit it), or failed/cancelled (a new version deserves a new try)
            changes.append(Change(row.id, text_id, "pending", now if served else due))
    for part_no, row in rows.items():
        if part_no < len(texts) or row.status == "cancelled":
            continue
        if row.message_id is not None:
            if row.text_id != note:
                status = "sending" if row.status == "sending" else "pending"
                changes.append(Change(row.id, note, status, now))
        elif row.status == "sending":
            changes.append(Change(row.id, note, "sending", None))  # in flight: edited after
        elif row.status in ("pending", "failed"):
            changes.append(Change(row.id, row.text_id or note, "cancelled", None, REMOVED))
    return new, changes


async def enqueue_issue(
    conn: aiosqlite.Connection,
    issue_id: int,
    issue: Issue,
    *,
    default_tz: str,
    channel: str | None = None,
    revision_id: int | None = None,
    now: datetime | None = None,
) -> EnqueueResult:
    """Plan and write the outbox rows of ``issue`` for every subscribed active chat."""
    moment = now or datetime.now(UTC)
    now_s = to_stamp(moment)
    operator = channel_chat_id(channel)[0] if channel else None
    # Channels are readers' own (owned) ones; the operator's BOT_CHANNEL is served below.
    audience = [
        (c, t)
        for c, t in await active_chats_with_topics(conn)
        if (c.type != "channel" or c.owner_id is not None) and c.id != operator
    ]
    groups: dict[RenderKey, list[Chat]] = defaultdict(list)
    for chat, topics in audience:
        groups[render_key(chat, topics)].append(chat)
    tags = await issue_tags(conn, issue_id)  # stored at ingest, in this transaction
    async with savepoint(conn, "enqueue"):
        rendered: dict[RenderKey, list[int]] = {}
        for key in groups:
            htmls = _render(issue, key, tags)
            rendered[key] = [await db.intern_text(conn, html, url) for html, url in htmls]
        plan: list[tuple[int, list[int], str, str]] = []  # chat, text ids, due, language
        due_cache: dict[tuple[str, str | None, str | None, str | None], str] = {}
        for key, chats in groups.items():
            for chat in chats:
                slot = (
                    chat.timezone or default_tz,
                    chat.delivery_time,
                    chat.quiet_start,
                    chat.quiet_end,
                )
                due = due_cache.get(slot)
                if due is None:
                    quiet = (slot[2], slot[3]) if slot[2] and slot[3] else None
                    when = next_delivery(moment, slot[0], slot[1], quiet)
                    due = due_cache[slot] = max(to_stamp(when), now_s)
                plan.append((chat.id, rendered[key], due, chat.language))
        if channel:
            chat_id, name = channel_chat_id(channel)
            await db.ensure_channel(conn, chat_id, name)
            full = ("zh", "full", (), (), ())
            texts = rendered.get(full) or [
                await db.intern_text(conn, h, url) for h, url in _render(issue, full)
            ]
            plan.append((chat_id, texts, now_s, "zh"))
        existing: dict[int, dict[int, OutboxRow]] = defaultdict(dict)
        for row in await db.rows_of_issue(conn, issue_id):
            existing[row.chat_id][row.part_no] = row
        notes: dict[str, int] = {}
        new: list[NewRow] = []
        changes: list[Change] = []
        served = 0
        for chat_id, texts, due, lang in plan:
            rows = existing.get(chat_id, {})
            if not rows:
                new.extend(NewRow(chat_id, n, t, due) for n, t in enumerate(texts))
            else:
                if lang not in notes:
                    notes[lang] = await db.intern_text(conn, removed_note(lang))
                chat_new, chat_changes = _plan_chat(chat_id, texts, rows, due, now_s, notes[lang])
                new.extend(chat_new)
                changes.extend(chat_changes)
            served += bool(texts)
        added = await db.insert_rows(conn, issue_id, revision_id, new)
        await db.apply_changes(conn, revision_id, changes)
    delivered = {r.id for rows in existing.values() for r in rows.values() if r.message_id}
    live = [c for c in changes if c.status != "cancelled"]
    return EnqueueResult(
        chats=served,
        rows_added=added,
        edits=sum(1 for c in live if c.id in delivered),
        updated=sum(1 for c in live if c.id not in delivered),
        cancelled=len(changes) - len(live),
        renders=len(rendered),
        deferred=len({chat for chat, _, due, _ in plan if due > now_s}),
    )
