"""With Telegram's flood limits on, a reply in several parts waits instead of failing:
here the emulator allows no burst, the bot's pacing does, and each 429 is waited out."""

from __future__ import annotations

import pytest

from bot.emulator.config import EmulatorConfig
from bot.store.issues import ingest_issue
from tests.support.store import make_entry, make_issue
from tests.support.telegram import BotHarness


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(chat_per_s=1.0, chat_burst=1)  # below the bot's own burst of 2


async def test_an_issue_in_parts_waits_for_the_flood_limit(telegram: BotHarness) -> None:
    long = "量化方法的详细介绍。" * 40
    entries = [
        make_entry(f"第 {n} 条", url=f"https://example.com/{n}", summary=long) for n in range(30)
    ]
    await ingest_issue(telegram.db, make_issue("2021-01-05", *entries), "h", "t")
    chat = await telegram.private(1201)
    parts = await telegram.say(chat, "/issue 2021-01-05")
    assert len(parts) >= 3
    text = "\n".join(p["plain"] for p in parts)
    assert all(text.count(f"第 {n} 条\n") == 1 for n in range(30))  # all, once, in order
    assert text.index("第 0 条") < text.index("第 29 条")
    assert (await telegram.emulator.stats())["answers"]["429"] >= 1
    assert telegram.outbound.retried >= 1  # each 429 waited out and the part sent again
