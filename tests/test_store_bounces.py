"""Bounce bookkeeping: real DSNs and ARF reports parsed and recorded through the daemon's
recorder into a real SQLite store — hard suppresses, soft counts (3 in 14 days),
complaints unsubscribe, the same report twice changes nothing, and the maintainer sees
it all in `bot email list` and `bot email bounces`."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from pydantic import SecretStr

from bot.cli import main
from bot.mail.bounces import parse_report
from bot.mail.tokens import Tokens
from bot.run.bounces import BounceRecorder
from bot.store.base import parse_stamp, to_stamp, utc_now
from bot.store.bounces import BounceReport, recent_bounces, record_bounce
from bot.store.database import Database
from bot.store.subscribers import Subscriber, add_confirmed, get_subscriber
from tests.support.bounces import complaint, dsn

TOKENS = Tokens(SecretStr("a-test-secret-of-enough-length"))


async def _reader(database: Database, address: str) -> Subscriber:
    return await database.write(
        lambda conn: add_confirmed(
            conn, address, topics=[], language="zh", source="admin", detail="test"
        )
    )


async def _status(database: Database, subscriber_id: int) -> tuple[str, str | None]:
    found = await get_subscriber(database.reader, subscriber_id)
    assert found is not None
    return found.status, found.reason


async def _deliver(database: Database, data: bytes) -> None:
    bounce = parse_report(data, TOKENS)
    assert bounce is not None
    await BounceRecorder(database, "test")(bounce)


async def test_hard_bounce_suppresses_once_even_when_delivered_twice(database: Database) -> None:
    ann = await _reader(database, "ann@example.com")
    _, report = dsn(TOKENS, ann.id, "ann@example.com", status="5.1.1")
    await _deliver(database, report)
    await _deliver(database, report)  # the MTA retried after a 451: no second event
    status, reason = await _status(database, ann.id)
    assert status == "bounced" and reason is not None and "5.1.1" in reason
    events = await recent_bounces(database.reader, address="ann@example.com")
    assert [(e.kind, e.status, e.effect) for e in events] == [("hard", "5.1.1", "suppressed")]


async def test_three_soft_bounces_within_the_window_suppress(database: Database) -> None:
    bob = await _reader(database, "bob@example.com")
    for n in range(1, 4):
        _, report = dsn(
            TOKENS, bob.id, "bob@example.com", status="4.2.2", message_id=f"<m{n}@example.org>"
        )
        await _deliver(database, report)
        status, _ = await _status(database, bob.id)
        assert status == ("confirmed" if n < 3 else "bounced")
    _, reason = await _status(database, bob.id)
    assert reason is not None and reason.startswith("3 soft bounces within 14 days")
    effects = [e.effect for e in await recent_bounces(database.reader, address="bob@example.com")]
    assert effects == ["suppressed", "counted", "counted"]


async def test_soft_bounces_older_than_the_window_do_not_count(database: Database) -> None:
    cid = (await _reader(database, "cid@example.com")).id
    now = parse_stamp(utc_now())
    ages = [20, 20, 0, 0, 0]  # days: two long ago, then three now
    effects = []
    for n, age in enumerate(ages):
        report = BounceReport("soft", cid, f"k{n}", "4.2.2")
        when = to_stamp(now - timedelta(days=age))
        done = await database.write(
            lambda conn, r=report, w=when: record_bounce(conn, r, via="test", now=w)
        )
        effects.append((done.effect, done.soft_count))
    assert effects == [
        ("counted", 1),
        ("counted", 2),
        ("counted", 1),
        ("counted", 2),
        ("suppressed", 3),
    ]
    assert (await _status(database, cid))[0] == "bounced"


async def test_a_delay_and_the_final_failure_of_one_mail_count_once_each(
    database: Database,
) -> None:
    dee = await _reader(database, "dee@example.com")
    _, delayed = dsn(TOKENS, dee.id, "dee@example.com", status="4.4.1", action="delayed")
    _, again = dsn(TOKENS, dee.id, "dee@example.com", status="4.4.7", action="failed")
    await _deliver(database, delayed)
    await _deliver(database, again)  # the same mail: one soft bounce, not two
    events = await recent_bounces(database.reader, address="dee@example.com")
    assert len(events) == 1 and (await _status(database, dee.id))[0] == "confirmed"


async def test_complaint_unsubscribes_and_is_never_turned_into_a_bounce(
    database: Database,
) -> None:
    eve = await _reader(database, "eve@example.com")
    _, report = complaint(TOKENS, eve.id, "eve@example.com")
    await _deliver(database, report)
    _, hard = dsn(TOKENS, eve.id, "eve@example.com")
    await _deliver(database, hard)
    status, reason = await _status(database, eve.id)
    assert status == "complained" and reason is not None and "complaint" in reason
    effects = [e.effect for e in await recent_bounces(database.reader, address="eve@example.com")]
    assert effects == ["none", "suppressed"]


async def test_report_for_nobody_of_ours_is_kept_as_unknown(database: Database) -> None:
    forged = Tokens(SecretStr("another-secret-of-enough-length"))
    _, report = dsn(forged, 1, "who@example.com")
    await _deliver(database, report)
    events = await recent_bounces(database.reader)
    assert [(e.address, e.recipient, e.effect) for e in events] == [
        (None, "who@example.com", "unknown")
    ]


async def test_reports_for_nobody_are_kept_bounded_and_known_ones_all(
    database: Database,
) -> None:
    ann = await _reader(database, "ann@example.com")

    async def record(n: int, subscriber: int | None) -> None:
        report = BounceReport(
            kind="hard",
            subscriber_id=subscriber,
            key=f"r{n}",
            status="5.1.1",
            recipient=f"r{n}@example.net",
            diagnostic="no such user",
        )
        await database.write(lambda conn: record_bounce(conn, report, via="test", unknown_kept=3))

    await record(0, ann.id)
    for n in range(1, 9):  # a flood of forged reports
        await record(n, None)
    events = await recent_bounces(database.reader, limit=100)
    assert sorted(e.recipient or "" for e in events if e.effect == "unknown") == [
        "r6@example.net",
        "r7@example.net",
        "r8@example.net",
    ]
    assert [e.recipient for e in events if e.effect == "suppressed"] == ["r0@example.net"]


async def test_maintainer_sees_suppressions_and_reports(database: Database, db_path: Path) -> None:
    fay = await _reader(database, "fay@example.com")
    _, report = dsn(TOKENS, fay.id, "fay@example.com", status="5.7.1")
    await _deliver(database, report)
    runner = CliRunner()

    async def cli(*args: str) -> Result:
        return await asyncio.to_thread(runner.invoke, main, [*args, "--db", str(db_path)])

    listed = await cli("email", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    (record,) = json.loads(listed.output)
    assert record["status"] == "bounced" and "5.7.1" in record["reason"]
    shown = await cli("email", "bounces", "fay@example.com")
    assert shown.exit_code == 0, shown.output
    assert "fay@example.com  hard 5.7.1  suppressed  via test" in shown.output
    assert shown.output.rstrip().endswith("1 report")
    as_json = await cli("email", "bounces", "--format", "json")
    assert json.loads(as_json.output)[0]["effect"] == "suppressed"
    bad = await cli("email", "bounces", "not an address")
    assert bad.exit_code == 2 and "Traceback" not in bad.output
