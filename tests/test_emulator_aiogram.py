"""Round trips with real aiogram: calls, long polling with a simulated user, webhooks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from tests.support.emulator import EmulatorClient

USER = 7001
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="More", callback_data="more:1")]]
)


def make_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        assert message.from_user is not None
        name = message.from_user.first_name
        await message.answer(f"Hello <b>{name}</b>", parse_mode="HTML", reply_markup=KEYBOARD)

    @dp.message(Command("topics"))
    async def topics(message: Message) -> None:
        await message.reply("quantization, pruning")

    @dp.callback_query(F.data.startswith("more:"))
    async def more(query: CallbackQuery) -> None:
        await query.answer("Loading")
        assert isinstance(query.message, Message)
        await query.message.edit_text("Second page", reply_markup=None)

    return dp


async def test_send_and_edit_parse_into_aiogram_types(
    emulator: EmulatorClient, emulator_bot: Bot
) -> None:
    await emulator.add_chat(USER, title="Ann")
    sent = await emulator_bot.send_message(
        USER, "<i>digest</i> #1", parse_mode="HTML", reply_markup=KEYBOARD
    )
    assert sent.text == "digest #1"
    assert sent.entities is not None and sent.entities[0].type == "italic"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "more:1"
    assert sent.from_user is not None and sent.from_user.is_bot
    edited = await emulator_bot.edit_message_text(
        "digest #1 (fixed)", chat_id=USER, message_id=sent.message_id
    )
    assert isinstance(edited, Message) and edited.edit_date is not None
    me = await emulator_bot.get_me()
    assert me.id == 123456 and me.username == "DigestTestBot"
    [recorded] = await emulator.messages(USER)
    assert recorded["plain"] == "digest #1 (fixed)"
    assert [e["text"] for e in recorded["edits"]] == ["<i>digest</i> #1"]


async def test_aiogram_raises_telegrams_errors(emulator: EmulatorClient, emulator_bot: Bot) -> None:
    await emulator.add_chat(USER)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await emulator_bot.send_message(USER, "<p>x</p>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await emulator_bot.send_message(999, "x")
    await emulator.update_chat(USER, blocked=True)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await emulator_bot.send_message(USER, "x")
    await emulator.add_chat(-100, type="group")
    await emulator.configure(group_per_min=1)
    await emulator_bot.send_message(-100, "one")
    with pytest.raises(TelegramRetryAfter) as caught:
        await emulator_bot.send_message(-100, "two")
    assert caught.value.retry_after >= 1


@contextlib.asynccontextmanager
async def polling(dp: Dispatcher, bot: Bot) -> AsyncIterator[None]:
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        yield
    finally:
        await dp.stop_polling()
        await task


async def test_polling_bot_talks_with_a_simulated_user(
    emulator: EmulatorClient, emulator_bot: Bot
) -> None:
    await emulator.add_chat(USER, title="Ann")
    async with polling(make_dispatcher(), emulator_bot):
        await emulator.send_update(USER, text="/start")
        [hello] = await emulator.wait_messages(USER, 1)
        assert hello["plain"] == "Hello Ann"
        asked = await emulator.send_update(USER, text="/topics@DigestTestBot")
        [_, topics] = await emulator.wait_messages(USER, 2)
        assert topics["reply_to_message_id"] == asked["message"]["message_id"]
        await emulator.send_update(USER, callback_data="more:1")
        for _ in range(100):
            [first, _second] = await emulator.messages(USER)
            if first["edits"]:
                break
            await asyncio.sleep(0.02)
    assert first["plain"] == "Second page" and first["reply_markup"] is None
    [query] = await emulator.callbacks(USER)
    assert query["answer"]["text"] == "Loading"
    assert (await emulator.pending_updates()) == []


@contextlib.asynccontextmanager
async def webhook_receiver(
    dp: Dispatcher, bot: Bot, secret: str, background: bool = True
) -> AsyncIterator[str]:
    app = web.Application()
    handler = SimpleRequestHandler(dp, bot, secret_token=secret, handle_in_background=background)
    handler.register(app, path="/hook")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    finally:
        await runner.cleanup()


async def test_webhook_delivers_only_with_the_right_secret(
    emulator: EmulatorClient, emulator_bot: Bot
) -> None:
    await emulator.add_chat(USER, title="Ann")
    await emulator.configure(webhook_retry_s=0.05)
    async with webhook_receiver(make_dispatcher(), emulator_bot, "right-secret") as url:
        await emulator_bot.set_webhook(url, secret_token="wrong-secret")
        await emulator.send_update(USER, text="/start")
        for _ in range(100):
            info = await emulator_bot.get_webhook_info()
            if info.last_error_message:
                break
            await asyncio.sleep(0.02)
        assert info.last_error_message == "Wrong response from the webhook: 401 Unauthorized"
        assert info.pending_update_count == 1
        assert await emulator.messages(USER) == []
        with pytest.raises(Exception, match="webhook is active"):
            await emulator_bot.get_updates()

        await emulator_bot.set_webhook(url, secret_token="right-secret")
        [hello] = await emulator.wait_messages(USER, 1)
        assert hello["plain"] == "Hello Ann"
        assert (await emulator_bot.get_webhook_info()).pending_update_count == 0
        await emulator_bot.delete_webhook()


async def test_chats_members_commands_and_files_parse_in_aiogram(
    emulator: EmulatorClient, emulator_bot: Bot
) -> None:
    from aiogram.types import BotCommand, BufferedInputFile, ChatMemberAdministrator

    await emulator.add_chat(-30, type="supergroup", title="Lab", admins=[5])
    chat = await emulator_bot.get_chat(-30)
    assert chat.title == "Lab"
    member = await emulator_bot.get_chat_member(-30, 5)
    assert isinstance(member, ChatMemberAdministrator)
    await emulator_bot.set_my_commands([BotCommand(command="start", description="Subscribe")])
    assert [c.command for c in await emulator_bot.get_my_commands()] == ["start"]
    sent = await emulator_bot.send_document(
        -30, BufferedInputFile(b"# issue\n", filename="issue.md"), caption="new issue"
    )
    assert sent.document is not None and sent.document.file_name == "issue.md"
    update = await emulator.send_update(
        -30, user_id=5, document={"file_name": "2021-01-05.md", "content": "# 简报\n"}
    )
    file = await emulator_bot.get_file(update["message"]["document"]["file_id"])
    assert file.file_path is not None
    downloaded = await emulator_bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read().decode() == "# 简报\n"


async def test_webhook_answer_can_carry_a_method_call(
    emulator: EmulatorClient, emulator_bot: Bot
) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> Any:
        return message.answer("Welcome <i>back</i>", parse_mode="HTML")  # not awaited

    await emulator.add_chat(USER)
    async with webhook_receiver(dp, emulator_bot, "s", background=False) as url:
        await emulator_bot.set_webhook(url, secret_token="s")
        await emulator.send_update(USER, text="/start")
        [welcome] = await emulator.wait_messages(USER, 1)
        await emulator_bot.delete_webhook()
    assert welcome["plain"] == "Welcome back"
    assert welcome["entities"] == [{"offset": 8, "length": 4, "type": "italic"}]
