"""Publishing an issue reaches every reader, filtered by topics, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.digest.model import Issue
from bot.digest.parse import parse_issue
from bot.render.digest import render_digest
from tests.support.delivery import DeliveryRig


async def test_every_reader_gets_their_parts_once(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    everyone = await delivery.reader(101)
    quant = await delivery.reader(102, topics=["量化"])
    english = await delivery.reader(103, language="en", summary_mode="titles")
    nothing = await delivery.reader(104, topics=["区块链"])
    group = await delivery.reader(-200, "group", topics=["NPU", "-融资"])

    result = await delivery.publish(shapes_issue)
    assert result.chats == 4  # the chat whose topics match nothing gets nothing
    tally = await delivery.drain()

    for chat_id, kwargs in [
        (everyone, {}),
        (quant, {"include": ["量化"]}),
        (english, {"lang": "en", "mode": "titles"}),
        (group, {"include": ["npu"], "exclude": ["融资"]}),
    ]:
        expected = [p.html for p in render_digest(shapes_issue, **kwargs)]  # type: ignore[arg-type]
        got = await delivery.emulator.messages(chat_id)
        assert [m["text"] for m in got] == expected, chat_id
        assert all(not m["edits"] for m in got)
        for message in got:  # previews off; the test sender runs at 1,000/s: paid broadcast
            assert message["options"]["link_preview_options"] == {"is_disabled": True}
            assert message["options"]["allow_paid_broadcast"] is True
    assert await delivery.emulator.messages(nothing) == []
    assert "QuantX" in (await delivery.emulator.messages(quant))[0]["plain"]
    stats = await delivery.emulator.stats()
    assert stats["violations"] == []
    assert tally.sent == sum(1 for r in await delivery.rows() if r[3] == "sent")
    assert {r[3] for r in await delivery.rows()} == {"sent"}

    # Draining again sends nothing more.
    again = await delivery.drain()
    assert again.sent == 0
    assert len(await delivery.emulator.messages(everyone)) == len(expected_for(shapes_issue))


def expected_for(issue: Issue) -> list[str]:
    return [p.html for p in render_digest(issue)]


@pytest.mark.slow
@pytest.mark.corpus
async def test_real_issues_for_many_topic_sets_are_accepted(
    delivery: DeliveryRig, corpus_issues: list[Path]
) -> None:
    topic_sets = [[], ["量化"], ["NCNN", "剪枝"], ["-招聘"], ["模型", "-论文"], ["int8"]]
    for n, topics in enumerate(topic_sets):
        await delivery.reader(1000 + n, topics=topics)
    await delivery.reader(2000, language="en", summary_mode="compact")
    for path in corpus_issues:
        text = path.read_text(encoding="utf-8")
        await delivery.publish(parse_issue(text, filename=path.name), text)
    tally = await delivery.drain()
    stats = await delivery.emulator.stats()
    assert stats["violations"] == []
    assert tally.failed == 0
    rows = await delivery.rows()
    assert rows and {r[3] for r in rows} == {"sent"}
    assert tally.sent == len(rows)


async def test_link_previews_follow_the_chat_setting_in_pushed_digests(
    delivery: DeliveryRig, shapes_issue: Issue
) -> None:
    on = await delivery.reader(121, link_previews=True)
    off = await delivery.reader(122)
    quant = await delivery.reader(123, topics=["量化"])
    await delivery.publish(shapes_issue)
    # Turned on after the digest was queued: the setting at sending time counts.
    await delivery.conn.execute("UPDATE chats SET link_previews = 1 WHERE id = ?", (quant,))
    await delivery.conn.commit()
    await delivery.drain()

    def first_url(**kwargs: object) -> str:
        part = render_digest(shapes_issue, **kwargs)[0]  # type: ignore[arg-type]
        by_key = {e.key: e.url for e in shapes_issue.entries}
        return next(u for k in part.entry_keys if (u := by_key.get(k)))

    [sent_on] = await delivery.emulator.messages(on)
    assert sent_on["options"]["link_preview_options"] == {
        "url": first_url(),
        "prefer_small_media": True,
    }
    assert first_url() == shapes_issue.entries[0].url
    [sent_off] = await delivery.emulator.messages(off)
    assert sent_off["options"]["link_preview_options"] == {"is_disabled": True}
    [sent_quant] = await delivery.emulator.messages(quant)
    # Each reader previews the first entry of their own digest.
    assert sent_quant["options"]["link_preview_options"]["url"] == first_url(include=["量化"])
    assert first_url(include=["量化"]) != first_url()
