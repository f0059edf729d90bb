"""/start, /help, /subscribe, /unsubscribe and blocking, through real polling on the emulator."""

from __future__ import annotations

from bot.store.chats import get_chat
from tests.support.telegram import BotHarness


async def test_start_subscribes_a_private_chat_in_chinese(telegram: BotHarness) -> None:
    chat = await telegram.private(101, language_code="zh-hans")
    replies = await telegram.say(chat, "/start")
    assert len(replies) == 1
    assert "欢迎" in replies[0]["plain"]
    row = await get_chat(telegram.db, chat)
    assert row is not None and row.status == "active" and row.language == "zh"


async def test_start_answers_english_speakers_in_english(telegram: BotHarness) -> None:
    chat = await telegram.private(102, language_code="de")
    replies = await telegram.say(chat, "/start")
    assert "Welcome" in replies[0]["plain"]
    row = await get_chat(telegram.db, chat)
    assert row is not None and row.language == "en"
