"""Named schema steps, applied in order by every command that opens the database.

Each step runs once; the ``migrations`` table records its name and when it was
applied. All pending steps run in one ``BEGIN IMMEDIATE`` transaction, so an
interrupted upgrade leaves the previous version intact. New steps go at the
end of ``STEPS``; a step never changes once released.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiosqlite

from bot.store.base import StoreError, utc_now

Step = Callable[[aiosqlite.Connection], Awaitable[None]]


def _sql(*statements: str) -> Step:
    async def apply(conn: aiosqlite.Connection) -> None:
        for statement in statements:
            await conn.execute(statement)

    return apply


_ARCHIVE = _sql(
    """CREATE TABLE issues (
        id INTEGER PRIMARY KEY,
        date TEXT NOT NULL UNIQUE CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
        title TEXT NOT NULL,
        intro TEXT NOT NULL DEFAULT '',
        file_hash TEXT NOT NULL,
        published_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        section TEXT NOT NULL,
        position INTEGER NOT NULL,
        title TEXT NOT NULL,
        source TEXT,
        url TEXT,
        links TEXT NOT NULL DEFAULT '[]',
        tag TEXT,
        summary TEXT NOT NULL DEFAULT '',
        UNIQUE (issue_id, key)
    )""",
    "CREATE INDEX entries_by_issue ON entries (issue_id, position)",
    """CREATE TABLE revisions (
        id INTEGER PRIMARY KEY,
        issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
        file_hash TEXT NOT NULL,
        ingested_at TEXT NOT NULL,
        added TEXT NOT NULL DEFAULT '[]',
        changed TEXT NOT NULL DEFAULT '[]',
        removed TEXT NOT NULL DEFAULT '[]',
        source_text TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX revisions_by_issue ON revisions (issue_id, id)",
)


# The search index (see bot.store.fts, which fills it and re-creates it when the
# tokenizer changes: its rows are tokens built in Python, not SQL).
FTS_TABLE = (
    "CREATE VIRTUAL TABLE entry_fts USING fts5(t, b, ts, bs, content='', detail=full,"
    " prefix='1', tokenize='unicode61 remove_diacritics 0')"
)
_search_index = _sql("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)", FTS_TABLE)


_CHATS = _sql(
    """CREATE TABLE chats (
        id INTEGER PRIMARY KEY,
        type TEXT NOT NULL CHECK (type IN ('private', 'group', 'supergroup', 'channel')),
        title TEXT,
        language TEXT NOT NULL DEFAULT 'zh' CHECK (language IN ('zh', 'en')),
        timezone TEXT,
        delivery_time TEXT CHECK (delivery_time GLOB '[0-2][0-9]:[0-5][0-9]'),
        quiet_start TEXT CHECK (quiet_start GLOB '[0-2][0-9]:[0-5][0-9]'),
        quiet_end TEXT CHECK (quiet_end GLOB '[0-2][0-9]:[0-5][0-9]'),
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'blocked')),
        summary_mode TEXT NOT NULL DEFAULT 'full'
            CHECK (summary_mode IN ('full', 'compact', 'titles')),
        link_previews INTEGER NOT NULL DEFAULT 0 CHECK (link_previews IN (0, 1)),
        thread_id INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX chats_by_status ON chats (status)",
    """CREATE TABLE topics (
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE ON UPDATE CASCADE,
        term TEXT NOT NULL,
        display TEXT NOT NULL,
        exclude INTEGER NOT NULL DEFAULT 0 CHECK (exclude IN (0, 1)),
        created_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, term)
    )""",
)

_OUTBOX = _sql(
    """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
        revision_id INTEGER REFERENCES revisions(id) ON DELETE SET NULL,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE ON UPDATE CASCADE,
        part_no INTEGER NOT NULL CHECK (part_no >= 0),
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
        message_id INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        lease_owner TEXT,
        lease_until TEXT,
        not_before TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    )""",
    "CREATE INDEX outbox_due ON outbox (status, not_before)",
    "CREATE INDEX outbox_by_chat ON outbox (chat_id, issue_id, part_no)",
)

_OUTBOX_SHARED_TEXTS = _sql(
    "CREATE TABLE outbox_texts (id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE,"
    " html TEXT NOT NULL)",
    "ALTER TABLE outbox ADD COLUMN text_id INTEGER REFERENCES outbox_texts(id)",
    "CREATE UNIQUE INDEX outbox_one_row_per_part ON outbox (issue_id, chat_id, part_no)",
    "CREATE INDEX outbox_leased ON outbox (lease_owner) WHERE lease_owner IS NOT NULL",
)

_SCHEDULES_LEASES = _sql(
    """CREATE TABLE scheduled_publishes (
        id INTEGER PRIMARY KEY,
        file_name TEXT NOT NULL,
        content TEXT NOT NULL,
        due_at TEXT NOT NULL,
        force INTEGER NOT NULL DEFAULT 0 CHECK (force IN (0, 1)),
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'running', 'done', 'failed', 'missed', 'cancelled')),
        detail TEXT NOT NULL DEFAULT '',
        claimed_by TEXT,
        created_at TEXT NOT NULL,
        finished_at TEXT
    )""",
    "CREATE INDEX scheduled_publishes_by_status ON scheduled_publishes (status, due_at)",
    """CREATE TABLE daemon_lease (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        acquired_at TEXT NOT NULL,
        heartbeat REAL NOT NULL
    )""",
)

# The issue a schedule publishes (its heading date, or the one `--date` chose), so a
# second schedule of the same issue can replace the first and `bot schedule list` can
# show it.
_SCHEDULED_ISSUE_DATE = _sql(
    "ALTER TABLE scheduled_publishes ADD COLUMN issue_date TEXT",
    "CREATE INDEX scheduled_publishes_by_issue ON scheduled_publishes (issue_date, status)",
)

# `bot unpublish`: a record of each withdrawn issue, and outbox rows that outlive their
# issue — deleting or editing what was sent goes through the outbox and the sender like
# every other Bot API call. SQLite cannot drop NOT NULL, so the outbox is rebuilt with
# ``issue_id`` nullable (a withdrawal row points at ``unpublished_issues`` instead) and
# an ``action``: send (or edit a sent part, as before), edit to a note, delete.
_OUTBOX_COLUMNS = (
    "id, issue_id, revision_id, chat_id, part_no, text, status, message_id, attempts,"
    " last_error, lease_owner, lease_until, not_before, created_at, sent_at, text_id"
)
_UNPUBLISH = _sql(
    """CREATE TABLE unpublished_issues (
        id INTEGER PRIMARY KEY,
        date TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        entries INTEGER NOT NULL DEFAULT 0,
        unpublished_at TEXT NOT NULL,
        unpublished_by TEXT,
        messages_deleted INTEGER NOT NULL DEFAULT 0,
        messages_edited INTEGER NOT NULL DEFAULT 0,
        unsent_dropped INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE outbox_rebuilt (
        id INTEGER PRIMARY KEY,
        issue_id INTEGER REFERENCES issues(id) ON DELETE CASCADE,
        revision_id INTEGER REFERENCES revisions(id) ON DELETE SET NULL,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE ON UPDATE CASCADE,
        part_no INTEGER NOT NULL CHECK (part_no >= 0),
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
        message_id INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        lease_owner TEXT,
        lease_until TEXT,
        not_before TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        text_id INTEGER REFERENCES outbox_texts(id),
        action TEXT NOT NULL DEFAULT 'send' CHECK (action IN ('send', 'edit', 'delete')),
        unpublished_id INTEGER REFERENCES unpublished_issues(id) ON DELETE CASCADE,
        CHECK ((issue_id IS NULL) = (unpublished_id IS NOT NULL)),
        CHECK (action = 'send' OR message_id IS NOT NULL)
    )""",
    f"INSERT INTO outbox_rebuilt ({_OUTBOX_COLUMNS}) SELECT {_OUTBOX_COLUMNS} FROM outbox",
    "DROP TABLE outbox",
    "ALTER TABLE outbox_rebuilt RENAME TO outbox",
    "CREATE INDEX outbox_due ON outbox (status, not_before)",
    "CREATE INDEX outbox_by_chat ON outbox (chat_id, issue_id, part_no)",
    "CREATE UNIQUE INDEX outbox_one_row_per_part ON outbox (issue_id, chat_id, part_no)",
    "CREATE INDEX outbox_leased ON outbox (lease_owner) WHERE lease_owner IS NOT NULL",
    "CREATE INDEX outbox_by_unpublished ON outbox (unpublished_id)"
    " WHERE unpublished_id IS NOT NULL",
)


async def _entry_topics(conn: aiosqlite.Connection) -> None:
    """Entries' catalogue topics (filled by bot.store.entry_topics on open, since no
    ``catalog_version`` is recorded yet), and chat topics that name a catalogue topic
    stored as ``#slug`` so 量化, quantization and INT8 are one subscription."""
    from bot.topics.filter import subscription_term

    await conn.execute(
        """CREATE TABLE entry_topics (
            entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
            topic TEXT NOT NULL,
            term TEXT NOT NULL,
            PRIMARY KEY (entry_id, topic)
        ) WITHOUT ROWID"""
    )
    await conn.execute("CREATE INDEX entry_topics_by_topic ON entry_topics (topic, entry_id)")
    async with conn.execute("SELECT chat_id, term, display FROM topics ORDER BY rowid") as cur:
        rows = [(int(r[0]), str(r[1]), str(r[2])) for r in await cur.fetchall()]
    taken = {(chat_id, term) for chat_id, term, _ in rows}
    for chat_id, term, display in rows:
        new = subscription_term(display)
        if new == term:
            continue
        if (chat_id, new) in taken:  # 量化 and INT8 both followed: one subscription now
            await conn.execute("DELETE FROM topics WHERE chat_id = ? AND term = ?", (chat_id, term))
        else:
            await conn.execute(
                "UPDATE topics SET term = ? WHERE chat_id = ? AND term = ?", (new, chat_id, term)
            )
            taken.add((chat_id, new))
        taken.discard((chat_id, term))


# A send whose outcome is unknown (the request went out, no answer came back): when it
# happened, and how many times such a row was sent again (each a possible duplicate).
_OUTBOX_UNCERTAIN = _sql(
    "ALTER TABLE outbox ADD COLUMN uncertain_at TEXT",
    "ALTER TABLE outbox ADD COLUMN resent INTEGER NOT NULL DEFAULT 0",
)
# The article a digest part previews when its chat has link previews on: the url of the
# first entry in the part (NULL: no preview; texts queued before this step have none).
_OUTBOX_TEXT_PREVIEW = _sql("ALTER TABLE outbox_texts ADD COLUMN preview_url TEXT")

# A private chat was told once that plain text is searched (the hint is shown only once).
_CHATS_SEARCH_HINT = _sql("ALTER TABLE chats ADD COLUMN search_hinted INTEGER NOT NULL DEFAULT 0")

# Digests delivered without a notification sound (sendMessage's disable_notification).
_CHATS_SILENT = _sql("ALTER TABLE chats ADD COLUMN silent INTEGER NOT NULL DEFAULT 0")

# A reader's own channel: the user who subscribed it and manages it from a private chat
# (NULL for every other chat, and for the operator's BOT_CHANNEL).
_CHATS_OWNER = _sql(
    "ALTER TABLE chats ADD COLUMN owner_id INTEGER",
    "CREATE INDEX chats_by_owner ON chats (owner_id) WHERE owner_id IS NOT NULL",
)

# When an active chat stopped being served (unsubscribed, paused, blocked); NULL while
# active and for a chat that was never subscribed: /start then says what was kept.
_CHATS_LEFT_AT = _sql("ALTER TABLE chats ADD COLUMN left_at TEXT")

# E-mail subscribers (issue 14): one row per normalized address, with the same delivery
# settings as a chat (language, delivery time, time zone, summary mode), its consent
# (status, source, timestamps), its suppression record (reason, when) and the time of
# the last confirmation mail (at most one per address per hour). Their topics live in
# the one ``topics`` table beside the chats' — rebuilt so a row belongs to a chat or to
# a subscriber — so parsing, storing and matching topics is one code path for both
# channels. ``topics`` is a leaf (nothing references it), so the rebuild cascades nothing.
_TOPICS_COLUMNS = "chat_id, term, display, exclude, created_at"
_EMAIL_SUBSCRIBERS = _sql(
    """CREATE TABLE email_subscribers (
        id INTEGER PRIMARY KEY,
        address TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL DEFAULT 'unconfirmed' CHECK (status IN
            ('unconfirmed', 'confirmed', 'unsubscribed', 'bounced', 'complained')),
        language TEXT NOT NULL DEFAULT 'zh' CHECK (language IN ('zh', 'en')),
        timezone TEXT,
        delivery_time TEXT CHECK (delivery_time GLOB '[0-2][0-9]:[0-5][0-9]'),
        summary_mode TEXT NOT NULL DEFAULT 'full'
            CHECK (summary_mode IN ('full', 'compact', 'titles')),
        source TEXT NOT NULL CHECK (source IN ('web', 'import', 'admin')),
        source_detail TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        confirmed_at TEXT,
        unsubscribed_at TEXT,
        reason TEXT,
        suppressed_at TEXT,
        confirm_sent_at TEXT
    )""",
    "CREATE INDEX email_subscribers_by_status ON email_subscribers (status)",
    """CREATE TABLE topics_rebuilt (
        chat_id INTEGER REFERENCES chats(id) ON DELETE CASCADE ON UPDATE CASCADE,
        subscriber_id INTEGER REFERENCES email_subscribers(id) ON DELETE CASCADE,
        term TEXT NOT NULL,
        display TEXT NOT NULL,
        exclude INTEGER NOT NULL DEFAULT 0 CHECK (exclude IN (0, 1)),
        created_at TEXT NOT NULL,
        CHECK ((chat_id IS NULL) <> (subscriber_id IS NULL)),
        UNIQUE (chat_id, term),
        UNIQUE (subscriber_id, term)
    )""",
    f"INSERT INTO topics_rebuilt ({_TOPICS_COLUMNS}) SELECT {_TOPICS_COLUMNS} FROM topics"
    " ORDER BY rowid",
    "DROP TABLE topics",
    "ALTER TABLE topics_rebuilt RENAME TO topics",
)

# E-mail through the same outbox (issue 14): a row is for a chat (``channel`` telegram,
# ``chat_id`` set) or for an e-mail subscriber (``channel`` email, ``subscriber_id``
# set, ``chat_id`` NULL, one row per issue and subscriber: a mail is never edited, so a
# re-publish never adds a second one). SQLite cannot drop NOT NULL, so the outbox is
# rebuilt as in 0008, keeping every index; Telegram's queries name ``channel``.
# ``failing_since``: when an e-mail row's current run of temporary failures began (it is
# given up after BOT_MAIL_RETRY_FOR_MINUTES of them).
_OUTBOX_COLUMNS_16 = f"{_OUTBOX_COLUMNS}, action, unpublished_id, uncertain_at, resent"
_EMAIL_OUTBOX = _sql(
    """CREATE TABLE outbox_rebuilt (
        id INTEGER PRIMARY KEY,
        issue_id INTEGER REFERENCES issues(id) ON DELETE CASCADE,
        revision_id INTEGER REFERENCES revisions(id) ON DELETE SET NULL,
        chat_id INTEGER REFERENCES chats(id) ON DELETE CASCADE ON UPDATE CASCADE,
        part_no INTEGER NOT NULL CHECK (part_no >= 0),
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
        message_id INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        lease_owner TEXT,
        lease_until TEXT,
        not_before TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        text_id INTEGER REFERENCES outbox_texts(id),
        action TEXT NOT NULL DEFAULT 'send' CHECK (action IN ('send', 'edit', 'delete')),
        unpublished_id INTEGER REFERENCES unpublished_issues(id) ON DELETE CASCADE,
        uncertain_at TEXT,
        resent INTEGER NOT NULL DEFAULT 0,
        channel TEXT NOT NULL DEFAULT 'telegram' CHECK (channel IN ('telegram', 'email')),
        subscriber_id INTEGER REFERENCES email_subscribers(id) ON DELETE CASCADE,
        failing_since TEXT,
        CHECK ((issue_id IS NULL) = (unpublished_id IS NOT NULL)),
        CHECK (action = 'send' OR message_id IS NOT NULL),
        CHECK (channel <> 'telegram' OR (chat_id IS NOT NULL AND subscriber_id IS NULL)),
        CHECK (channel <> 'email' OR (subscriber_id IS NOT NULL AND chat_id IS NULL
            AND issue_id IS NOT NULL AND action = 'send' AND part_no = 0))
    )""",
    f"INSERT INTO outbox_rebuilt ({_OUTBOX_COLUMNS_16}) SELECT {_OUTBOX_COLUMNS_16} FROM outbox",
    "DROP TABLE outbox",
    "ALTER TABLE outbox_rebuilt RENAME TO outbox",
    "CREATE INDEX outbox_due ON outbox (status, not_before)",
    "CREATE INDEX outbox_by_chat ON outbox (chat_id, issue_id, part_no)",
    "CREATE UNIQUE INDEX outbox_one_row_per_part ON outbox (issue_id, chat_id, part_no)",
    "CREATE INDEX outbox_leased ON outbox (lease_owner) WHERE lease_owner IS NOT NULL",
    "CREATE INDEX outbox_by_unpublished ON outbox (unpublished_id)"
    " WHERE unpublished_id IS NOT NULL",
    "CREATE UNIQUE INDEX outbox_one_mail_per_subscriber ON outbox (issue_id, subscriber_id)"
    " WHERE channel = 'email'",
    "CREATE INDEX outbox_email_due ON outbox (status, not_before) WHERE channel = 'email'",
)
# An e-mail subscriber can pause the digest from its preferences page (issue 15) and
# resume it later with its topics and settings kept: ``paused_at`` is when, NULL while
# the digest is mailed. Only ``status = 'confirmed' AND paused_at IS NULL`` is mailed
# (bot.store.subscribers.is_deliverable / DELIVERABLE_SQL).
_SUBSCRIBER_PAUSE = _sql("ALTER TABLE email_subscribers ADD COLUMN paused_at TEXT")

STEPS: tuple[tuple[str, Step], ...] = (
    ("0001_archive", _ARCHIVE),
    ("0002_search_index", _search_index),
    ("0003_chats_topics", _CHATS),
    ("0004_outbox", _OUTBOX),
    ("0005_outbox_shared_texts", _OUTBOX_SHARED_TEXTS),
    ("0006_scheduled_publishes_daemon_lease", _SCHEDULES_LEASES),
    ("0007_scheduled_issue_date", _SCHEDULED_ISSUE_DATE),
    ("0008_unpublish_outbox_actions", _UNPUBLISH),
    ("0009_entry_topics", _entry_topics),
    ("0010_outbox_uncertain", _OUTBOX_UNCERTAIN),
    ("0011_chats_search_hint", _CHATS_SEARCH_HINT),
    ("0012_chats_silent", _CHATS_SILENT),
    ("0013_chats_owner", _CHATS_OWNER),
    ("0014_chats_left_at", _CHATS_LEFT_AT),
    ("0015_email_subscribers", _EMAIL_SUBSCRIBERS),
    ("0016_outbox_text_preview", _OUTBOX_TEXT_PREVIEW),
    ("0017_email_outbox", _EMAIL_OUTBOX),
    ("0019_subscriber_pause", _SUBSCRIBER_PAUSE),
)


async def applied_steps(conn: aiosqlite.Connection) -> list[str]:
    """Names of the steps recorded in this database, in order."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations ( name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT name FROM migrations ORDER BY rowid") as cursor:
        return [str(row[0]) async for row in cursor]


async def migrate(conn: aiosqlite.Connection, *, upto: int | None = None) -> list[str]:
    """Apply the pending steps (the first ``upto`` only, for tests); return their names."""
    steps = STEPS if upto is None else STEPS[:upto]
    known = {name for name, _ in STEPS}
    done = await _check(conn, known)
    if all(name in done for name, _ in steps):
        return []
    await conn.execute("BEGIN IMMEDIATE")
    try:
        done = await _check(conn, known)
        applied = []
        for name, step in steps:
            if name not in done:
                await step(conn)
                await conn.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, utc_now())
                )
                applied.append(name)
    except BaseException:
        await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")
    return applied


async def _check(conn: aiosqlite.Connection, known: set[str]) -> set[str]:
    done = await applied_steps(conn)
    unknown = [name for name in done if name not in known]
    if unknown:
        raise StoreError(
            f"the database was written by a newer digest-bot (step {unknown[0]}); upgrade first"
        )
    return set(done)
