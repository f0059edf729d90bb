"""/start, /help, /subscribe, /unsubscribe, blocking, the command menus and stray input,
through real polling on the emulator."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from aiogram.filters import Command

from bot.store.chats import get_chat
from bot.store.topics import list_topics
from bot.telegram.registry import COMMANDS
from tests.support.telegram import ADMIN_ID, BotHarness


def handled_commands(harness: BotHarness) -> set[str]:
    """Every command name some router's message handler filters on."""
    names: set[str] = set()
    routers = [harness.dp]
    while routers:
        router = routers.pop()
        routers.extend(router.sub_routers)
        for handler in router.message.handlers:
            for item in handler.flags.get("commands", []):
                assert isinstance(item, Command)
                names.update(c for c in item.commands if isinstance(c, str))
    return names


async def test_start_subscribes_a_private_chat_in_chinese(telegram: BotHarness) -> None:
    chat = await telegram.private(101, language_code="zh-hans")
    replies = await telegram.say(chat, "/start")
    assert len(replies) == 1
    assert "欢迎" in replies[0]["plain"]
    row = await get_chat(telegram.db, chat)
    assert row is not None and row.status == "active" and row.language == "zh"
    assert row.summary_mode == "compact"  # a new reader starts compact; full is one tap away


async def test_start_answers_english_speakers_in_english(telegram: BotHarness) -> None:
    chat = await telegram.private(102, language_code="en-GB")
    replies = await telegram.say(chat, "/start")
    assert "Welcome" in replies[0]["plain"]
    row = await get_chat(telegram.db, chat)
    assert row is not None and row.language == "en"


async def test_other_languages_get_bot_default_lang(telegram: BotHarness) -> None:
    """Neither zh* nor en*: BOT_DEFAULT_LANG (zh), not English as before."""
    assert telegram.settings.default_lang == "zh"
    chat = await telegram.private(112, language_code="de")
    replies = await telegram.say(chat, "/start")
    assert "欢迎" in replies[0]["plain"]
    row = await get_chat(telegram.db, chat)
    assert row is not None and row.language == "zh"


async def test_a_group_started_by_an_english_admin_speaks_bot_default_lang(
    telegram: BotHarness,
) -> None:
    """A group never takes the language of whoever spoke first."""
    group = await telegram.group(-1011, admins=[113], language_code="en")
    replies = await telegram.say(group, "/start", user_id=113)
    assert "欢迎" in replies[0]["plain"]
    row = await get_chat(telegram.db, group)
    assert row is not None and row.language == "zh"
    assert "命令" in await telegram.ask(group, "/help", user_id=114)


async def test_every_handled_command_is_in_both_menus_and_in_help(telegram: BotHarness) -> None:
    handled = handled_commands(telegram)
    assert handled == {spec.name for spec in COMMANDS}
    public = {spec.name for spec in COMMANDS if not spec.admin}
    for code in ("zh", ""):
        status, menu = await telegram.emulator.call("getMyCommands", language_code=code)
        assert status == 200
        assert {c["command"] for c in menu["result"]} == public
    admin_scope = {"type": "chat", "chat_id": ADMIN_ID}
    for code in ("zh", ""):
        _, admin_menu = await telegram.emulator.call(
            "getMyCommands", scope=admin_scope, language_code=code
        )
        assert {c["command"] for c in admin_menu["result"]} == handled
    _, zh_menu = await telegram.emulator.call("getMyCommands", language_code="zh")
    assert any("订阅" in c["description"] for c in zh_menu["result"])
    for lang_code, user in (("zh", 103), ("en", 104)):
        chat = await telegram.private(user, language_code=lang_code)
        help_text = (await telegram.say(chat, "/help"))[0]["plain"]
        for name in public:
            assert f"/{name} " in help_text, (lang_code, name)
        assert "/publish" not in help_text  # admin commands only for admins
    admin = await telegram.private(ADMIN_ID, language_code="en")
    admin_help = (await telegram.say(admin, "/help"))[0]["plain"]
    assert all(f"/{name} " in admin_help for name in handled)


async def test_unsubscribe_keeps_topics_and_subscribe_resumes(telegram: BotHarness) -> None:
    chat = await telegram.private(105, language_code="zh")
    await telegram.say(chat, "/start")
    await telegram.say(chat, "/topic 量化")
    reply = await telegram.say(chat, "/unsubscribe")
    assert "停止推送" in reply[0]["plain"]
    row = await get_chat(telegram.db, chat)
    assert row is not None and row.status == "paused"
    assert [t.display for t in await list_topics(telegram.db, chat)] == ["量化"]
    again = await telegram.say(chat, "/unsubscribe")
    assert "没有订阅" in again[0]["plain"]
    back = await telegram.say(chat, "/subscribe")
    assert "已订阅" in back[0]["plain"]
    row = await get_chat(telegram.db, chat)
    assert row is not None and row.status == "active"
    assert "已经订阅" in (await telegram.say(chat, "/subscribe"))[0]["plain"]


async def test_start_after_unsubscribe_says_topics_and_settings_were_kept(
    telegram: BotHarness,
) -> None:
    chat = await telegram.private(108, language_code="zh")
    await telegram.say(chat, "/start")
    await telegram.say(chat, "/topic 量化, NCNN")
    await telegram.say(chat, "/unsubscribe")
    back = await telegram.ask(chat, "/start")
    assert "欢迎回来" in back and "2 个话题和设置都保留着" in back
    row = await get_chat(telegram.db, chat)
    assert row is not None and row.status == "active"
    assert "欢迎回来" not in await telegram.ask(chat, "/start")  # already subscribed: welcome
    # a chat stored before it ever subscribed (settings, a search) is simply welcomed
    newcomer = await telegram.private(109, language_code="zh")
    await telegram.say(newcomer, "/settings")
    await telegram.say(newcomer, "量化")
    first = await telegram.ask(newcomer, "/start")
    assert "欢迎！" in first and "欢迎回来" not in first


async def test_blocking_the_bot_marks_the_chat_inactive(telegram: BotHarness) -> None:
    chat = await telegram.private(106)
    await telegram.say(chat, "/start")
    row_before = await get_chat(telegram.db, chat)
    assert row_before is not None
    await telegram.emulator.update_chat(chat, blocked=True)  # raises my_chat_member

    async def blocked() -> bool:
        row = await get_chat(telegram.db, chat)
        return row is not None and row.status == "blocked"

    await telegram.eventually(blocked)
    await telegram.emulator.update_chat(chat, blocked=False)
    assert "欢迎" in await telegram.ask(chat, "/start")
    assert await get_chat(telegram.db, chat) == replace(row_before, status="active")


async def test_a_group_upgraded_to_a_supergroup_keeps_its_subscription(
    telegram: BotHarness,
) -> None:
    group = await telegram.group(-500, admins=[110], type="group", language_code="zh")
    await telegram.say(group, "/start", user_id=110)
    await telegram.say(group, "/topic 量化", user_id=110)
    await telegram.emulator.update_chat(group, migrate_to=-1000500)

    async def moved() -> bool:
        return await get_chat(telegram.db, -1000500) is not None

    await telegram.eventually(moved)
    assert await get_chat(telegram.db, group) is None
    row = await get_chat(telegram.db, -1000500)
    assert row is not None and (row.type, row.status) == ("supergroup", "active")
    assert [t.display for t in await list_topics(telegram.db, -1000500)] == ["量化"]


async def test_unknown_commands_get_a_hint_and_plain_text_a_search(telegram: BotHarness) -> None:
    chat = await telegram.private(107, language_code="en")
    reply = await telegram.say(chat, "/frobnicate now")
    assert reply[0]["plain"] == "Unknown command /frobnicate. Send /help to see all commands."
    hostile = await telegram.say(chat, "/<b>x" + "y" * 300)
    assert "<b>" in hostile[0]["plain"] and len(hostile[0]["plain"]) < 200
    search = await telegram.say(chat, "what about int8?")  # plain text searches
    assert search[0]["plain"].startswith("Nothing found for “what about int8?”")
    assert "/search" in search[1]["plain"]  # and says so, the first time


async def test_group_commands_with_our_mention_work_and_others_are_ignored(
    telegram: BotHarness,
) -> None:
    group = await telegram.group(-1001, admins=[201])
    mine = await telegram.say(group, "/help@DigestTestBot", user_id=202)
    assert "/search" in mine[0]["plain"]
    assert await telegram.say(group, "/help@SomeOtherBot", user_id=202) == []
    assert await telegram.say(group, "/weather", user_id=202) == []  # maybe another bot's
    assert await telegram.say(group, "hello all", user_id=202) == []


async def test_edited_messages_are_not_even_requested(telegram: BotHarness) -> None:
    allowed = telegram.dp.resolve_used_update_types()
    assert "edited_message" not in allowed
    assert {"message", "callback_query", "my_chat_member"} <= set(allowed)


async def test_buttons_from_an_older_bot_version_have_expired(telegram: BotHarness) -> None:
    chat = await telegram.private(108)
    old = {"inline_keyboard": [[{"text": "›", "callback_data": "page:v0:3"}]]}
    status, sent = await telegram.emulator.call(
        "sendMessage", chat_id=chat, text="old results", reply_markup=old
    )
    assert status == 200
    await telegram.press(chat, "page:v0:3")
    answers = await telegram.callback_answers(chat)
    assert answers[-1]["answer"]["text"] == "此页面已过期，请重新发送命令。"
    assert (await telegram.message(chat, sent["result"]["message_id"]))["plain"] == "old results"


async def test_a_failing_handler_apologises_instead_of_going_silent(
    telegram: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    chat = await telegram.private(109, language_code="en")
    await telegram.db.execute("DROP TABLE topics")  # the database broke under the bot
    with caplog.at_level(logging.ERROR, logger="bot.telegram"):
        reply = await telegram.ask(chat, "/topics")
    assert reply == "Sorry, something went wrong; please try again in a moment."
    assert "failed: OperationalError: no such table: topics" in caplog.text
    assert len(telegram.tracker.errors) == 1
    telegram.tracker.errors.clear()  # expected here; any other error fails the test


async def test_added_to_a_group_the_bot_says_how_to_subscribe(telegram: BotHarness) -> None:
    group = await telegram.group(-1009, admins=[111], blocked=True, language_code="zh")
    await telegram.emulator.update_chat(group, blocked=False)  # the bot is added (back)

    async def greeted() -> bool:
        return bool(await telegram.messages(group))

    await telegram.eventually(greeted)
    hello = (await telegram.messages(group))[0]["plain"]
    assert "群管理员发送 /start 即可在本群订阅" in hello
    assert await get_chat(telegram.db, group) is None  # not subscribed by being added


async def test_a_topic_deep_link_subscribes_and_follows_the_topic(telegram: BotHarness) -> None:
    """``t.me/<bot>?start=topic_quantization`` (from the web site) arrives as
    ``/start topic_quantization``: the chat is subscribed and follows 量化."""
    chat = await telegram.private(121, language_code="zh-hans")
    replies = await telegram.say(chat, "/start topic_quantization")
    assert len(replies) == 1 and "量化" in replies[0]["plain"]
    row = await get_chat(telegram.db, chat)
    assert row is not None and row.status == "active"
    assert [t.term for t in await list_topics(telegram.db, chat)] == ["#quantization"]
    other = await telegram.private(122, language_code="en")
    replies = await telegram.say(other, "/start topic_no-such-topic")
    assert "Welcome" in replies[0]["plain"]
    assert await list_topics(telegram.db, other) == []
