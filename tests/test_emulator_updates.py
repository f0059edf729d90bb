"""getUpdates long polling and the updates simulated users create."""

from __future__ import annotations

import asyncio
import time

from tests.support.emulator import EmulatorClient

USER = 42


async def test_long_poll_waits_for_the_next_update(emulator: EmulatorClient) -> None:
    await emulator.add_chat(USER)
    poll = asyncio.create_task(emulator.call("getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await emulator.send_update(USER, text="hello")
    status, body = await asyncio.wait_for(poll, 1)
    assert status == 200
    [update] = body["result"]
    assert update["message"]["text"] == "hello"
    assert update["message"]["from"]["id"] == USER


async def test_long_poll_answers_empty_after_its_timeout(emulator: EmulatorClient) -> None:
    started = time.monotonic()
    status, body = await emulator.call("getUpdates", timeout=1)
    assert (status, body["result"]) == (200, [])
    assert 0.9 <= time.monotonic() - started < 2


async def test_offset_confirms_and_limit_caps(emulator: EmulatorClient) -> None:
    await emulator.add_chat(USER)
    for text in ("a", "b", "c"):
        await emulator.send_update(USER, text=text)
    _, body = await emulator.call("getUpdates", limit=2)
    ids = [u["update_id"] for u in body["result"]]
    assert len(ids) == 2
    _, body = await emulator.call("getUpdates", offset=ids[1])
    assert [u["message"]["text"] for u in body["result"]] == ["b", "c"]
    _, body = await emulator.call("getUpdates", offset=-1)
    assert [u["message"]["text"] for u in body["result"]] == ["c"]
    last = body["result"][0]["update_id"]
    _, body = await emulator.call("getUpdates", offset=last + 1)
    assert body["result"] == []


async def test_allowed_updates_filters_and_is_remembered(emulator: EmulatorClient) -> None:
    await emulator.add_chat(USER)
    await emulator.call(
        "sendMessage",
        chat_id=USER,
        text="pick",
        reply_markup={"inline_keyboard": [[{"text": "x", "callback_data": "x"}]]},
    )
    await emulator.call("getUpdates", allowed_updates=["callback_query"])
    await emulator.send_update(USER, text="ignored")
    await emulator.send_update(USER, callback_data="x")
    _, body = await emulator.call("getUpdates")
    assert [list(u)[1] for u in body["result"]] == ["callback_query"]


async def test_a_new_poller_terminates_the_waiting_one(emulator: EmulatorClient) -> None:
    first = asyncio.create_task(emulator.call("getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(emulator.call("getUpdates", timeout=1))
    status, body = await asyncio.wait_for(first, 1)
    assert status == 409
    assert body["description"] == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running"
    )
    status, body = await asyncio.wait_for(second, 3)
    assert (status, body["result"]) == (200, [])  # the newest poller keeps its turn


async def test_commands_get_bot_command_entities(emulator: EmulatorClient) -> None:
    await emulator.add_chat(-5, type="group", title="Lab", admins=[9])
    update = await emulator.send_update(-5, text="/digest@DigestTestBot now")
    message = update["message"]
    assert message["from"]["id"] == 9
    assert message["chat"] == {"id": -5, "type": "group", "title": "Lab"}
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 21}]


async def test_callback_needs_a_real_button_on_a_bot_message(emulator: EmulatorClient) -> None:
    await emulator.add_chat(USER)
    async with emulator.session.post(
        f"{emulator.base_url}/_emu/updates", json={"chat_id": USER, "callback_data": "nope"}
    ) as resp:
        assert resp.status == 404
        assert "button" in (await resp.json())["error"]
    _, sent = await emulator.call(
        "sendMessage",
        chat_id=USER,
        text="t",
        reply_markup={"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]},
    )
    update = await emulator.send_update(USER, callback_data="go")
    query = update["callback_query"]
    assert query["message"]["message_id"] == sent["result"]["message_id"]
    assert query["data"] == "go" and query["from"]["id"] == USER
    status, body = await emulator.call(
        "answerCallbackQuery", callback_query_id=query["id"], text="ok"
    )
    assert status == 200
    assert body["result"] is True
    _, body = await emulator.call("answerCallbackQuery", callback_query_id=query["id"])
    assert body["description"] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )


async def test_blocking_the_bot_sends_my_chat_member(emulator: EmulatorClient) -> None:
    await emulator.add_chat(USER)
    await emulator.update_chat(USER, blocked=True)
    await emulator.update_chat(USER, blocked=False)
    _, body = await emulator.call("getUpdates")
    changes = [
        (
            u["my_chat_member"]["old_chat_member"]["status"],
            u["my_chat_member"]["new_chat_member"]["status"],
        )
        for u in body["result"]
    ]
    assert changes == [("member", "kicked"), ("kicked", "member")]


async def test_webhook_to_a_closed_port_reports_the_error(emulator: EmulatorClient) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await emulator.configure(webhook_retry_s=0.05)
    await emulator.add_chat(USER)
    status, body = await emulator.call("setWebhook", url=f"http://127.0.0.1:{port}/hook")
    assert body["result"] is True
    await emulator.send_update(USER, text="hi")
    for _ in range(100):
        _, info = await emulator.call("getWebhookInfo")
        if "last_error_message" in info["result"]:
            break
        await asyncio.sleep(0.02)
    assert info["result"]["last_error_message"] == "Connection refused"
    assert info["result"]["pending_update_count"] == 1
    status, body = await emulator.call("getUpdates")
    assert status == 409 and "webhook is active" in body["description"]
    await emulator.call("deleteWebhook")
    _, body = await emulator.call("getUpdates")
    assert [u["message"]["text"] for u in body["result"]] == ["hi"]


async def test_webhooks_only_go_to_this_machine(emulator: EmulatorClient) -> None:
    status, body = await emulator.call("setWebhook", url="https://example.org/hook")
    assert status == 400 and body["description"].startswith("Bad Request: bad webhook: ")
    status, body = await emulator.call(
        "setWebhook", url="http://127.0.0.1:1/h", secret_token="no spaces"
    )
    assert body["description"] == "Bad Request: secret token contains unallowed characters"


async def test_channel_posts_come_as_channel_post(emulator: EmulatorClient) -> None:
    await emulator.add_chat(-100200, type="channel", title="News", username="digest_news")
    update = await emulator.send_update(-100200, text="new issue out")
    post = update["channel_post"]
    assert post["sender_chat"]["username"] == "digest_news" and "from" not in post
    status, body = await emulator.call("sendMessage", chat_id="@digest_news", text="hi")
    assert status == 200 and body["result"]["sender_chat"]["id"] == -100200
