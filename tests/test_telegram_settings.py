"""/settings buttons, /time, /tz, /quiet, /thread, and who may change them in groups."""

from __future__ import annotations

from bot.store.chats import get_chat
from bot.store.topics import list_topics
from bot.text.typed import parse_time
from tests.support.telegram import BotHarness, buttons


def data_of(message: dict[str, object], label: str) -> str:
    found = [data for text, data in buttons(message) if text == label]  # type: ignore[arg-type]
    assert found, f"no button {label!r} in {buttons(message)}"  # type: ignore[arg-type]
    return found[0]


async def test_settings_buttons_change_what_is_stored(telegram: BotHarness) -> None:
    chat = await telegram.private(501)
    await telegram.say(chat, "/start")
    panel = (await telegram.say(chat, "/settings"))[0]
    assert "推送时间：发布后立即（Asia/Shanghai）" in panel["plain"]
    await telegram.press(chat, data_of(panel, "20:00"))
    await telegram.press(chat, data_of(panel, "仅标题"))
    panel = await telegram.message(chat, panel["message_id"])
    assert "推送时间：20:00" in panel["plain"] and "摘要：仅标题" in panel["plain"]
    await telegram.press(chat, data_of(panel, "🔗 开启预览"))
    panel = await telegram.message(chat, panel["message_id"])
    await telegram.press(chat, data_of(panel, "🌙 免打扰 23-07"))
    panel = await telegram.message(chat, panel["message_id"])
    await telegram.press(chat, data_of(panel, "⏸ 暂停推送"))
    panel = await telegram.message(chat, panel["message_id"])
    row = await get_chat(telegram.db, chat)
    assert row is not None
    assert (row.delivery_time, row.summary_mode, row.link_previews) == ("20:00", "titles", True)
    assert (row.quiet_start, row.quiet_end, row.status) == ("23:00", "07:00", "paused")
    assert "状态：已暂停" in panel["plain"]
    await telegram.press(chat, data_of(panel, "🌐 English"))
    panel = await telegram.message(chat, panel["message_id"])
    assert panel["plain"].startswith("Settings") and "Quiet hours: 23:00–07:00" in panel["plain"]
    row = await get_chat(telegram.db, chat)
    assert row is not None and row.language == "en"
    assert "Commands" in (await telegram.say(chat, "/help"))[0]["plain"]


async def test_typed_settings(telegram: BotHarness) -> None:
    chat = await telegram.private(502, language_code="en")
    assert (
        "Delivery: 21:30 (Asia/Shanghai)" in (await telegram.say(chat, "/time 21:30"))[0]["plain"]
    )
    assert "Usage" in (await telegram.say(chat, "/time 25:00"))[0]["plain"]
    assert "Time zone: Europe/Berlin" in (await telegram.say(chat, "/tz Europe/Berlin"))[0]["plain"]
    bad = await telegram.say(chat, "/tz Mars/<Olympus>")
    assert "Unknown time zone “Mars/<Olympus>”" in bad[0]["plain"]
    assert "23:00–07:00" in (await telegram.say(chat, "/quiet 23:00-07:00"))[0]["plain"]
    row = await get_chat(telegram.db, chat)
    assert row is not None
    assert (row.delivery_time, row.timezone, row.quiet_start) == ("21:30", "Europe/Berlin", "23:00")
    assert row.status == "paused"  # changing settings alone never subscribes
    await telegram.say(chat, "/quiet off")
    await telegram.say(chat, "/time now")
    row = await get_chat(telegram.db, chat)
    assert row is not None and row.quiet_start is None and row.delivery_time is None
    assert "too long" in (await telegram.say(chat, "/tz " + "A" * 100))[0]["plain"]


async def test_group_members_cannot_change_things_but_admins_can(telegram: BotHarness) -> None:
    group = await telegram.group(-1002, admins=[601], language_code="zh")
    refusal = await telegram.say(group, "/subscribe", user_id=602)
    assert refusal[0]["plain"] == "只有本群管理员可以更改订阅和设置。"
    assert await get_chat(telegram.db, group) is None
    await telegram.say(group, "/topic 量化", user_id=602)
    assert await get_chat(telegram.db, group) is None
    ok = await telegram.say(group, "/subscribe", user_id=601)
    assert "已订阅" in ok[0]["plain"]
    await telegram.say(group, "/topic 量化", user_id=601)
    assert [t.display for t in await list_topics(telegram.db, group)] == ["量化"]
    listing = await telegram.say(group, "/topics", user_id=602)  # reading is fine
    await telegram.press(group, buttons(listing[0])[0][1], user_id=602)
    answers = await telegram.callback_answers(group)
    assert answers[-1]["answer"]["text"] == "只有本群管理员可以更改订阅和设置。"
    assert answers[-1]["answer"]["show_alert"] is True
    assert len(await list_topics(telegram.db, group)) == 1
    # Searching and reading stay open to everyone.
    assert await telegram.say(group, "/latest", user_id=602)


async def test_forum_groups_pick_the_thread_for_digests(telegram: BotHarness) -> None:
    forum = await telegram.group(-1003, admins=[701], language_code="zh")
    await telegram.say(forum, "/start", user_id=701)
    reply = await telegram.say(forum, "/thread", user_id=701, message_thread_id=42)
    assert reply[0]["thread_id"] == 42 and "话题帖" in reply[0]["plain"]
    row = await get_chat(telegram.db, forum)
    assert row is not None and row.thread_id == 42
    panel = (await telegram.say(forum, "/settings", user_id=701, message_thread_id=7))[0]
    await telegram.press(forum, data_of(panel, "📌 推送到本话题帖"), user_id=701)
    row = await get_chat(telegram.db, forum)
    assert row is not None and row.thread_id == 7
    plain = await telegram.group(-1004, admins=[701], type="group", language_code="zh")
    refused = await telegram.say(plain, "/thread", user_id=701)
    assert refused[0]["plain"] == "只有开启了话题功能的超级群可以选择话题帖。"


def test_times_people_type() -> None:
    assert parse_time("9:05") == "09:05"
    assert parse_time("2130") == "21:30"
    assert parse_time("21：30") == "21:30"
    assert parse_time("24:00") is None and parse_time("8") is None


async def test_tz_takes_any_case_cities_and_offsets(telegram: BotHarness) -> None:
    chat = await telegram.private(503, language_code="zh")
    typed = {
        "asia/shanghai": "Asia/Shanghai",
        "EUROPE/berlin": "Europe/Berlin",
        "东京": "Asia/Tokyo",
        "旧金山": "America/Los_Angeles",
        "new york": "America/New_York",
        "Berlin": "Europe/Berlin",
        "UTC+8": "Etc/GMT-8",  # POSIX: the sign is inverted
        "+08:00": "Etc/GMT-8",
        "GMT-5": "Etc/GMT+5",
    }
    for text, zone in typed.items():
        reply = await telegram.ask(chat, f"/tz {text}")
        row = await get_chat(telegram.db, chat)
        assert row is not None and row.timezone == zone, (text, reply)
    assert "时区：UTC-5" in reply  # shown as the reader typed it
    assert "不认识的时区“火星”" in await telegram.ask(chat, "/tz 火星")
    row = await get_chat(telegram.db, chat)
    assert row is not None and row.timezone == "Etc/GMT+5"


async def test_time_and_tz_without_argument_show_the_current_value(telegram: BotHarness) -> None:
    chat = await telegram.private(504, language_code="en")
    await telegram.say(chat, "/time 21:30")
    await telegram.say(chat, "/tz UTC+8")
    time_now = await telegram.ask(chat, "/time")
    assert "Delivery now: 21:30 (UTC+8)." in time_now and "Usage: /time 21:30" in time_now
    tz_now = await telegram.ask(chat, "/tz")
    assert "Time zone now: UTC+8." in tz_now and "/tz Berlin" in tz_now
    assert "Delivery: 21:30 (UTC+8)" in await telegram.ask(chat, "/settings")


async def test_silent_notifications_are_a_setting_the_sender_follows(
    telegram: BotHarness,
) -> None:
    from bot.delivery.enqueue import enqueue_issue
    from bot.store.issues import ingest_issue
    from tests.support.delivery import DeliveryRig
    from tests.support.store import make_entry, make_issue

    loud, quiet = await telegram.private(505), await telegram.private(506)
    for chat in (loud, quiet):
        await telegram.say(chat, "/start")
    panel = (await telegram.say(quiet, "/settings"))[0]
    assert "通知：有声" in panel["plain"]
    await telegram.press(quiet, data_of(panel, "🔕 静音推送"), message_id=panel["message_id"])
    panel = await telegram.message(quiet, panel["message_id"])
    assert "通知：静音（不响铃）" in panel["plain"] and data_of(panel, "🔔 有声推送")
    row = await get_chat(telegram.db, quiet)
    assert row is not None and row.silent

    issue = make_issue("2021-01-05", make_entry("QuantX 发布", url="https://example.com/q"))
    ingested = await ingest_issue(telegram.db, issue, "h", "x")
    await enqueue_issue(telegram.db, ingested.issue_id, issue, default_tz="Asia/Shanghai")
    await telegram.db.commit()
    rig = DeliveryRig(telegram.db, telegram.settings.db, telegram.emulator)
    await rig.drain()
    [to_quiet] = [m for m in await telegram.messages(quiet) if "QuantX" in m["plain"]]
    [to_loud] = [m for m in await telegram.messages(loud) if "QuantX" in m["plain"]]
    assert to_quiet["options"].get("disable_notification") is True
    assert "disable_notification" not in to_loud["options"]
