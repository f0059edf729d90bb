"""The /_emu/ control API: chats, simulated documents, inspection and reset."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulator import EmulatorClient


async def post(emu: EmulatorClient, path: str, body: Any) -> tuple[int, Any]:
    async with emu.session.post(f"{emu.base_url}/_emu/{path}", json=body) as resp:
        return resp.status, await resp.json()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"type": "private"}, "'id' is required"),
        ({"id": 1, "type": "forum"}, "'type' must be one of"),
        ({"id": 1, "admins": ["x"]}, "'admins' must be a list"),
        ({"id": 1, "blocked": "yes"}, "'blocked' must be true or false"),
        ({"id": 1, "colour": "red"}, "unknown chat field 'colour'"),
        ([1, 2], "must be a JSON object"),
    ],
)
async def test_bad_chats_are_refused_with_one_sentence(
    emulator: EmulatorClient, body: Any, words: str
) -> None:
    status, answer = await post(emulator, "chats", body)
    assert status == 400 and words in answer["error"]
    assert await emulator.messages() == []


async def test_chats_are_created_then_changed(emulator: EmulatorClient) -> None:
    created = await emulator.add_chat(-9, type="group", title="Lab", admins=[1, 2])
    assert created["type"] == "group" and created["admins"] == [1, 2]
    changed = await emulator.update_chat(-9, migrate_to=-1009)
    assert changed["title"] == "Lab" and changed["migrate_to"] == -1009
    _, body = await emulator.call("getChat", chat_id=-1009)
    assert body["result"]["type"] == "supergroup" and body["result"]["title"] == "Lab"
    _, body = await emulator.call("getUpdates")
    service = [u["message"] for u in body["result"]]
    assert [
        (m["chat"]["id"], m.get("migrate_to_chat_id"), m.get("migrate_from_chat_id"))
        for m in service
    ] == [(-9, -1009, None), (-1009, None, -9)]


async def test_updates_need_a_known_chat_and_one_kind(emulator: EmulatorClient) -> None:
    status, answer = await post(emulator, "updates", {"chat_id": 5, "text": "hi"})
    assert status == 404 and "POST /_emu/chats" in answer["error"]
    await emulator.add_chat(5)
    status, answer = await post(emulator, "updates", {"chat_id": 5})
    assert status == 400 and "exactly one" in answer["error"]
    await emulator.update_chat(5, blocked=True)
    status, answer = await post(emulator, "updates", {"chat_id": 5, "text": "hi"})
    assert status == 409 and "blocked" in answer["error"]


async def test_a_user_can_reply_to_the_bot(emulator: EmulatorClient) -> None:
    await emulator.add_chat(8)
    _, sent = await emulator.call("sendMessage", chat_id=8, text="Which topics?")
    asked = sent["result"]["message_id"]
    update = await emulator.send_update(8, text="int8", reply_to_message_id=asked)
    assert update["message"]["reply_to_message"]["text"] == "Which topics?"
    status, answer = await post(
        emulator, "updates", {"chat_id": 8, "text": "x", "reply_to_message_id": 99}
    )
    assert status == 404 and "no message 99" in answer["error"]


async def test_messages_filter_by_chat_and_since(emulator: EmulatorClient) -> None:
    await emulator.add_chat(1)
    await emulator.add_chat(2)
    for chat, text in ((1, "a"), (2, "b"), (1, "c")):
        await emulator.call("sendMessage", chat_id=chat, text=text)
    await emulator.send_update(1, text="user text is not listed")
    assert [m["text"] for m in await emulator.messages(1)] == ["a", "c"]
    assert [m["text"] for m in await emulator.messages(1, since=1)] == ["c"]
    assert [(m["chat_id"], m["text"]) for m in await emulator.messages()] == [
        (1, "a"),
        (2, "b"),
        (1, "c"),
    ]


async def test_reset_forgets_everything(emulator: EmulatorClient) -> None:
    await emulator.add_chat(1)
    await emulator.call("sendMessage", chat_id=1, text="a")
    await emulator.configure(chat_per_s=5)
    await emulator.reset()
    assert await emulator.messages() == []
    assert (await emulator.stats())["calls"] == {}
    _, body = await emulator.call("sendMessage", chat_id=1, text="a")
    assert body["description"] == "Bad Request: chat not found"
    async with emulator.session.get(f"{emulator.base_url}/_emu/config") as resp:
        assert (await resp.json())["chat_per_s"] == 0


async def test_stats_count_calls_and_answer_classes(emulator: EmulatorClient) -> None:
    await emulator.add_chat(1)
    await emulator.call("sendMessage", chat_id=1, text="a")
    await emulator.call("sendmessage", chat_id=1, text="")
    await emulator.call("getMe")
    await emulator.call("noSuchMethod")
    stats = await emulator.stats()
    assert stats["calls"] == {"sendMessage": 2, "getMe": 1, "noSuchMethod": 1}
    assert stats["answers"] == {"2xx": 2, "4xx": 2, "429": 0, "5xx": 0}
    assert [v["rule"] for v in stats["violations"]] == ["text_empty"]


async def test_an_uploaded_issue_can_be_downloaded_by_the_bot(emulator: EmulatorClient) -> None:
    await emulator.add_chat(77)
    content = "# 嵌入式AI简报 2021-01-05\n\n## 业界新闻\n"
    update = await emulator.send_update(
        77, document={"file_name": "2021-01-05.md", "content": content}
    )
    document = update["message"]["document"]
    assert document["file_name"] == "2021-01-05.md"
    assert document["mime_type"] == "text/markdown"
    assert document["file_size"] == len(content.encode())
    _, body = await emulator.call("getFile", file_id=document["file_id"])
    path = body["result"]["file_path"]
    async with emulator.session.get(f"{emulator.base_url}/file/bot{emulator.token}/{path}") as r:
        assert await r.text() == content
    async with emulator.session.get(f"{emulator.base_url}/file/bot{emulator.token}/x.md") as r:
        assert r.status == 404
    _, body = await emulator.call("getFile", file_id="nope")
    assert body["description"] == "Bad Request: invalid file_id"


async def test_a_busy_port_fails_cleanly_in_process() -> None:
    import socket

    from bot.emulator import Emulator, EmulatorConfig

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        config = EmulatorConfig(port=busy.getsockname()[1])
        with pytest.raises(OSError):
            async with Emulator(config):
                pass
