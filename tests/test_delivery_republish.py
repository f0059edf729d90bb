"""Re-publishing a revised issue edits what was delivered and never sends twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.delivery.enqueue import removed_note
from bot.digest.model import Issue
from bot.digest.parse import parse_issue
from bot.render.digest import render_digest
from tests.support.delivery import DeliveryRig
from tests.support.store import make_entry, make_issue

READERS = {
    1: {},
    2: {"topics": ["量化"]},
    3: {"topics": ["NCNN", "-招聘"]},
    4: {"language": "en", "summary_mode": "compact"},
}


def _expected(issue: Issue, settings: dict[str, object]) -> list[str]:
    topics = [str(t) for t in settings.get("topics", [])]  # type: ignore[attr-defined]
    include = [t for t in topics if not t.startswith("-")]
    exclude = [t[1:] for t in topics if t.startswith("-")]
    parts = render_digest(
        issue,
        lang=str(settings.get("language", "zh")),
        include=include,
        exclude=exclude,
        mode=settings.get("summary_mode", "full"),  # type: ignore[arg-type]
    )
    return [p.html for p in parts]


@pytest.mark.slow
@pytest.mark.corpus
async def test_revisions_in_order_are_edited_in_place(
    delivery: DeliveryRig, corpus_revisions: list[Path]
) -> None:
    for chat_id, settings in READERS.items():
        await delivery.reader(chat_id, **settings)  # type: ignore[arg-type]
    late = await delivery.reader(9, delivery_time="23:59", timezone="Pacific/Kiritimati")
    same_day = [p for p in corpus_revisions if "2021-01-05" in p.read_text(encoding="utf-8")[:300]]
    assert len(same_day) >= 10
    most_parts = dict.fromkeys(READERS, 0)
    issue: Issue | None = None
    for path in same_day:
        text = path.read_text(encoding="utf-8")
        issue = parse_issue(text, filename=path.name)
        await delivery.publish(issue, text)
        await delivery.drain()
        for chat_id, settings in READERS.items():
            most_parts[chat_id] = max(most_parts[chat_id], len(_expected(issue, settings)))
    assert issue is not None
    stats = await delivery.emulator.stats()
    assert stats["violations"] == []
    edited = 0
    for chat_id, settings in READERS.items():
        got = await delivery.emulator.messages(chat_id)
        final = _expected(issue, settings)
        # one message per part ever needed: extra parts were added, nothing re-sent
        assert len(got) == most_parts[chat_id]
        assert [m["text"] for m in got[: len(final)]] == final
        assert all(m["text"] == removed_note("zh") for m in got[len(final) :])
        edited += sum(len(m["edits"]) for m in got)
    assert edited > 0
    # The chat waiting for its delivery time was never sent an old version...
    assert await delivery.emulator.messages(late) == []
    await delivery.conn.execute("UPDATE outbox SET not_before = NULL WHERE chat_id = ?", (late,))
    await delivery.drain()
    got = await delivery.emulator.messages(late)
    # ...and gets only the latest one, with no edits.
    assert [m["text"] for m in got] == _expected(issue, {})
    assert all(not m["edits"] for m in got)


def _issue(*titles: str) -> Issue:
    long = "端侧推理的细节。" * 120
    return make_issue(
        "2023-06-01",
        *(make_entry(t, url=f"https://e.example/{n}", summary=long) for n, t in enumerate(titles)),
    )


async def test_vanished_parts_become_a_note_and_unsent_ones_are_cancelled(
    delivery: DeliveryRig,
) -> None:
    served = await delivery.reader(11)
    waiting = await delivery.reader(12, delivery_time="23:59", timezone="Pacific/Kiritimati")
    first = _issue(*(f"量化{n}" for n in range(40)))
    assert len(render_digest(first)) >= 2
    await delivery.publish(first)
    await delivery.drain()
    before = await delivery.emulator.messages(served)
    assert len(before) == len(render_digest(first))

    second = _issue("量化一（修订）")
    result = await delivery.publish(second)
    assert result.edits == len(before) and result.cancelled == len(before) - 1
    await delivery.drain()
    after = await delivery.emulator.messages(served)
    assert len(after) == len(before)  # edited, not re-sent
    assert after[0]["text"] == render_digest(second)[0].html
    assert [m["text"] for m in after[1:]] == [removed_note("zh")] * (len(before) - 1)
    waiting_rows = await delivery.rows(waiting)
    assert [r[3] for r in waiting_rows] == ["pending"] + ["cancelled"] * (len(before) - 1)

    # Publishing the same revision again changes nothing.
    calls = (await delivery.emulator.stats())["calls"]
    again = await delivery.publish(second)
    assert (again.rows_added, again.edits, again.updated) == (0, 0, 0)
    await delivery.drain()
    assert (await delivery.emulator.stats())["calls"] == calls
