"""E-mail subscribers in the store: consent, suppression, the hourly confirmation
throttle, and topics in the one topics table shared with chats."""

from __future__ import annotations

import aiosqlite
import pytest

from bot.store.base import StoreError
from bot.store.chats import upsert_chat
from bot.store.subscribers import (
    add_confirmed,
    claim_confirmation_mail,
    confirm,
    find_subscriber,
    list_subscribers,
    release_confirmation_mail,
    sign_up,
    suppress,
    unsubscribe,
)
from bot.store.topics import add_topics, list_topics, subscriber_topics
from bot.topics.filter import entry_matches
from tests.support.store import make_entry


async def test_sign_up_confirm_unsubscribe(db: aiosqlite.Connection) -> None:
    signed = await sign_up(
        db, "ann@example.org", topics=["量化", "-招聘"], language="en", source="web"
    )
    new = signed.subscriber
    assert signed.mail
    assert (new.status, new.language, new.source, new.confirmed_at) == (
        "unconfirmed",
        "en",
        "web",
        None,
    )
    topics = await subscriber_topics(db, new.id)
    assert [(t.term, t.exclude) for t in topics] == [("#quantization", False), ("#hiring", True)]
    # the one matching function reads a subscriber's topics as it reads a chat's
    include = [t.term for t in topics if not t.exclude]
    exclude = [t.term for t in topics if t.exclude]
    entry = make_entry("INT8 量化部署", url="https://a.example/1")
    assert entry_matches(entry, include, exclude, {"quantization"})
    done = await confirm(db, new.id)
    assert done is not None and done.status == "confirmed" and done.confirmed_at
    gone = await unsubscribe(db, new.id, "one-click")
    assert gone is not None and (gone.status, gone.reason) == ("unsubscribed", "one-click")
    assert await confirm(db, new.id) is None  # an old confirmation link does not resubscribe


async def test_a_stranger_cannot_change_a_confirmed_or_suppressed_subscriber(
    db: aiosqlite.Connection,
) -> None:
    ann = await add_confirmed(
        db, "ann@example.org", topics=["ncnn"], language="zh", source="admin", detail="asked me"
    )
    signed = await sign_up(db, "ann@example.org", topics=["招聘"], language="en", source="web")
    again = signed.subscriber
    assert not signed.mail
    assert (again.status, again.language, again.source_detail) == ("confirmed", "zh", "asked me")
    assert [t.term for t in await subscriber_topics(db, ann.id)] == ["ncnn"]
    await suppress(db, ann.id, "complained", "ARF complaint from example.org")
    still = (
        await sign_up(db, "ann@example.org", topics=[], language="zh", source="web")
    ).subscriber
    assert (still.status, still.reason) == ("complained", "ARF complaint from example.org")
    with pytest.raises(StoreError, match="suppressed"):
        await add_confirmed(
            db, "ann@example.org", topics=[], language="zh", source="import", detail=None
        )
    assert await unsubscribe(db, ann.id, "x") is not None
    assert (await find_subscriber(db, "ann@example.org")).status == "complained"  # type: ignore[union-attr]
    # a 5xx to a mail sent before the complaint arrived keeps the complaint
    await suppress(db, ann.id, "bounced", "550 5.1.1 no such user")
    after = await find_subscriber(db, "ann@example.org")
    assert after is not None and (after.status, after.reason) == (
        "complained",
        "ARF complaint from example.org",
    )


async def test_one_confirmation_mail_per_hour(db: aiosqlite.Connection) -> None:
    first = await sign_up(
        db,
        "bob@example.org",
        topics=["ncnn"],
        language="zh",
        source="web",
        now="2030-01-01 10:00:00",
    )
    assert first.mail and first.previous is None
    sub = first.subscriber
    # within the hour: no mail, and nothing changes (not even the topics)
    again = await sign_up(
        db,
        "bob@example.org",
        topics=["招聘"],
        language="en",
        source="web",
        now="2030-01-01 10:59:59",
    )
    assert not again.mail and again.subscriber == sub
    assert [t.term for t in await subscriber_topics(db, sub.id)] == ["ncnn"]
    later = await sign_up(
        db,
        "bob@example.org",
        topics=["招聘"],
        language="en",
        source="web",
        now="2030-01-01 11:00:00",
    )
    assert later.mail and later.previous == "2030-01-01 10:00:00"
    assert later.subscriber.language == "en"
    await release_confirmation_mail(db, sub.id, "2030-01-01 10:00:00")  # that one failed
    assert await claim_confirmation_mail(db, sub.id, now="2030-01-01 10:30:00") is False
    assert await claim_confirmation_mail(db, sub.id, now="2030-01-01 11:30:00") == (
        "2030-01-01 10:00:00"
    )


async def test_topics_table_is_shared_but_owners_are_separate(db: aiosqlite.Connection) -> None:
    await upsert_chat(db, 5, "private")
    await add_topics(db, 5, ["量化"])
    signed = await sign_up(
        db, "c@example.org", topics=["量化", "ncnn"], language="zh", source="web"
    )
    sub = signed.subscriber
    assert [t.term for t in await list_topics(db, 5)] == ["#quantization"]
    assert [t.term for t in await subscriber_topics(db, sub.id)] == ["#quantization", "ncnn"]
    listed = await list_subscribers(db, "unconfirmed")
    assert [(s.address, [t.display for t in ts]) for s, ts in listed] == [
        ("c@example.org", ["量化", "ncnn"])
    ]
    assert await list_subscribers(db, "confirmed") == []
    with pytest.raises(StoreError, match="unknown status"):
        await list_subscribers(db, "gone")  # type: ignore[arg-type]
