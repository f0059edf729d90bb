"""Each rule Telegram enforces on outgoing messages, at the HTTP level, in Telegram's words."""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests.support.emulator import EmulatorClient

CHAT = 501


@pytest.fixture
async def emu(emulator: EmulatorClient) -> EmulatorClient:
    await emulator.add_chat(CHAT, title="Reader")
    return emulator


def keyboard(rows: list[list[str]]) -> dict[str, object]:
    return {"inline_keyboard": [[{"text": d, "callback_data": d} for d in row] for row in rows]}


async def test_bad_token_is_401_and_unknown_method_is_404(emu: EmulatorClient) -> None:
    async with emu.session.post(f"{emu.base_url}/botnot-a-token/getMe") as resp:
        assert resp.status == 401
        assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    status, body = await emu.call("sendMessageNow", chat_id=CHAT, text="x")
    assert (status, body["description"]) == (404, "Not Found: method not found")


async def test_method_names_are_case_insensitive_and_every_body_shape_works(
    emu: EmulatorClient,
) -> None:
    url = f"{emu.api_url}/SENDmessage"
    markup = json.dumps(keyboard([["a"]]))
    form = aiohttp.FormData({"chat_id": str(CHAT), "text": "form", "reply_markup": markup})
    multipart = aiohttp.FormData(quote_fields=False)
    for key, value in {"chat_id": str(CHAT), "text": "multi", "reply_markup": markup}.items():
        multipart.add_field(key, value, content_type="text/plain")
    async with emu.session.post(url, data=form) as resp:
        assert (await resp.json())["result"]["reply_markup"] == keyboard([["a"]])
    async with emu.session.post(url, data=multipart) as resp:
        assert (await resp.json())["result"]["text"] == "multi"
    async with emu.session.post(url, json={"chat_id": CHAT, "text": "json"}) as resp:
        assert (await resp.json())["result"]["text"] == "json"
    async with emu.session.get(url, params={"chat_id": CHAT, "text": "query"}) as resp:
        assert (await resp.json())["result"]["message_id"] == 4
    assert [m["text"] for m in await emu.messages(CHAT)] == ["form", "multi", "json", "query"]


async def test_messages_look_like_telegrams(emu: EmulatorClient) -> None:
    status, body = await emu.call(
        "sendMessage",
        chat_id=CHAT,
        text="<b>Hi</b> &lt;3",
        parse_mode="HTML",
        message_thread_id=5,
        link_preview_options={"is_disabled": True},
        allow_paid_broadcast=True,
    )
    assert status == 200 and body["ok"] is True
    result = body["result"]
    assert result["message_id"] == 1
    assert result["chat"] == {"id": CHAT, "type": "private", "first_name": "Reader"}
    assert result["from"]["is_bot"] is True
    assert result["text"] == "Hi <3"
    assert result["entities"] == [{"offset": 0, "length": 2, "type": "bold"}]
    assert result["message_thread_id"] == 5
    [recorded] = await emu.messages(CHAT)
    assert recorded["text"] == "<b>Hi</b> &lt;3" and recorded["plain"] == "Hi <3"
    assert recorded["thread_id"] == 5
    assert recorded["options"]["allow_paid_broadcast"] is True
    assert recorded["options"]["link_preview_options"] == {"is_disabled": True}


async def test_html_errors_are_refused_and_recorded_as_violations(emu: EmulatorClient) -> None:
    status, body = await emu.call("sendMessage", chat_id=CHAT, text="ok <br> no", parse_mode="HTML")
    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": 'Bad Request: can\'t parse entities: Unsupported start tag "br" '
        "at byte offset 3",
    }
    stats = await emu.stats()
    assert stats["violations"] == [
        {
            "method": "sendMessage",
            "chat_id": CHAT,
            "rule": "html",
            "description": body["description"],
        },
    ]
    assert stats["answers"]["4xx"] == 1
    assert await emu.messages(CHAT) == []


async def test_length_is_counted_after_parsing_in_code_points(emu: EmulatorClient) -> None:
    bold_4096 = "<b>" + "字" * 4096 + "</b>"
    status, _ = await emu.call("sendMessage", chat_id=CHAT, text=bold_4096, parse_mode="HTML")
    assert status == 200
    emoji_4096 = "😀" * 4096  # 8192 UTF-16 units, 4096 code points
    assert (await emu.call("sendMessage", chat_id=CHAT, text=emoji_4096))[0] == 200
    status, body = await emu.call("sendMessage", chat_id=CHAT, text="x" * 4097)
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    status, body = await emu.call(
        "sendMessage", chat_id=CHAT, text="&amp;" * 4097, parse_mode="HTML"
    )
    assert body["description"] == "Bad Request: message is too long"
    status, body = await emu.call(
        "sendMessage", chat_id=CHAT, text="<b>x</b>" * 9000, parse_mode="HTML"
    )
    assert body["description"] == "Bad Request: message is too long"


@pytest.mark.parametrize("text", ["", "   ", "<b> </b>", None])
async def test_empty_text_is_refused(emu: EmulatorClient, text: str | None) -> None:
    params = {"chat_id": CHAT, "parse_mode": "HTML"} | ({} if text is None else {"text": text})
    status, body = await emu.call("sendMessage", **params)
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")


async def test_more_than_100_entities_is_sent_but_recorded(emu: EmulatorClient) -> None:
    status, _ = await emu.call(
        "sendMessage", chat_id=CHAT, text="<b>x</b> " * 101, parse_mode="HTML"
    )
    assert status == 200
    [violation] = (await emu.stats())["violations"]
    assert violation["rule"] == "too_many_entities"
    status, _ = await emu.call(
        "sendMessage", chat_id=CHAT, text="<b>x</b> " * 100, parse_mode="HTML"
    )
    assert len((await emu.stats())["violations"]) == 1


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        (keyboard([["x" * 65]]), "Bad Request: BUTTON_DATA_INVALID"),
        (
            {"inline_keyboard": [[{"text": "t", "callback_data": ""}]]},
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (keyboard([["é" * 33]]), "Bad Request: BUTTON_DATA_INVALID"),  # 66 bytes
        (keyboard([[str(i) for i in range(9)]]), "Bad Request: reply markup is too long"),
        (
            keyboard([[str(r * 10 + i) for i in range(8)] for r in range(13)]),
            "Bad Request: reply markup is too long",
        ),
        (
            {"inline_keyboard": [[{"text": "t", "url": "javascript:x"}]]},
            "Bad Request: BUTTON_URL_INVALID",
        ),
        (
            {"inline_keyboard": [[{"text": "only text"}]]},
            "Bad Request: text buttons are unallowed in the inline keyboard",
        ),
    ],
)
async def test_reply_markup_rules(
    emu: EmulatorClient, markup: dict[str, object], description: str
) -> None:
    status, body = await emu.call("sendMessage", chat_id=CHAT, text="t", reply_markup=markup)
    assert (status, body["description"]) == (400, description)
    assert len((await emu.stats())["violations"]) == 1


async def test_largest_allowed_keyboard_passes(emu: EmulatorClient) -> None:
    rows = [[f"{r}:{i}:" + "é" * 29 for i in range(8)] for r in range(12)] + [["a", "b", "c", "d"]]
    status, _ = await emu.call("sendMessage", chat_id=CHAT, text="t", reply_markup=keyboard(rows))
    assert status == 200


async def test_malformed_reply_markup_json_is_refused(emu: EmulatorClient) -> None:
    form = {"chat_id": str(CHAT), "text": "t", "reply_markup": "{not json"}
    async with emu.session.post(f"{emu.api_url}/sendMessage", data=form) as resp:
        body = await resp.json()
    assert body["description"] == "Bad Request: can't parse reply keyboard markup JSON object"


async def test_chat_states_refuse_with_telegrams_words(emu: EmulatorClient) -> None:
    await emu.add_chat(-1, type="group", blocked=True)
    await emu.add_chat(-1002, type="supergroup", blocked=True)
    await emu.add_chat(-3, type="group", migrate_to=-1003)
    await emu.add_chat(CHAT + 1, blocked=True)
    cases = {
        404404: (400, "Bad Request: chat not found", None),
        CHAT + 1: (403, "Forbidden: bot was blocked by the user", None),
        -1: (403, "Forbidden: bot was kicked from the group chat", None),
        -1002: (403, "Forbidden: bot was kicked from the supergroup chat", None),
        -3: (
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": -1003},
        ),
    }
    for chat_id, (code, description, parameters) in cases.items():
        status, body = await emu.call("sendMessage", chat_id=chat_id, text="hello")
        assert (status, body["error_code"], body["description"]) == (code, code, description)
        assert body.get("parameters") == parameters
    assert (await emu.call("sendMessage", chat_id=-1003, text="hello"))[0] == 200
    assert (await emu.stats())["violations"] == []


async def test_editing_rules(emu: EmulatorClient) -> None:
    _, sent = await emu.call(
        "sendMessage",
        chat_id=CHAT,
        text="<b>v1</b>",
        parse_mode="HTML",
        reply_markup=keyboard([["a"]]),
    )
    mid = sent["result"]["message_id"]
    status, body = await emu.call(
        "editMessageText",
        chat_id=CHAT,
        message_id=mid,
        text="<b>v1</b>",
        parse_mode="HTML",
        reply_markup=keyboard([["a"]]),
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified: ")
    status, body = await emu.call("editMessageText", chat_id=CHAT, message_id=mid, text="v2")
    assert status == 200 and "reply_markup" not in body["result"]  # keyboard removed
    status, body = await emu.call(
        "editMessageReplyMarkup", chat_id=CHAT, message_id=mid, reply_markup=keyboard([["b"]])
    )
    assert body["result"]["reply_markup"] == keyboard([["b"]])
    status, body = await emu.call("editMessageText", chat_id=CHAT, message_id=99, text="x")
    assert body["description"] == "Bad Request: message to edit not found"
    [msg] = await emu.messages(CHAT)
    assert [e["text"] for e in msg["edits"]] == ["<b>v1</b>", "v2"]
    assert msg["text"] == "v2" and msg["reply_markup"] == keyboard([["b"]])
    assert (await emu.call("deleteMessage", chat_id=CHAT, message_id=mid))[1]["result"] is True
    status, body = await emu.call("deleteMessage", chat_id=CHAT, message_id=mid)
    assert body["description"] == "Bad Request: message to delete not found"
    assert (await emu.messages(CHAT))[0]["deleted"] is True


async def test_replies_need_an_existing_message(emu: EmulatorClient) -> None:
    update = await emu.send_update(CHAT, text="/search int8")
    asked = update["message"]["message_id"]
    status, body = await emu.call(
        "sendMessage", chat_id=CHAT, text="3 results", reply_parameters={"message_id": asked}
    )
    assert status == 200
    assert body["result"]["reply_to_message"]["text"] == "/search int8"
    status, body = await emu.call("sendMessage", chat_id=CHAT, text="x", reply_to_message_id=99)
    assert (status, body["description"]) == (400, "Bad Request: message to be replied not found")
    status, body = await emu.call(
        "sendMessage",
        chat_id=CHAT,
        text="x",
        reply_parameters={"message_id": 99, "allow_sending_without_reply": True},
    )
    assert status == 200 and "reply_to_message" not in body["result"]


async def test_invalid_utf8_is_refused_not_a_crash(emu: EmulatorClient) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    body = b"chat_id=501&text=\xff\xfe"
    async with emu.session.post(f"{emu.api_url}/sendMessage", data=body, headers=headers) as r:
        answer = await r.json()
    assert (r.status, answer["description"]) == (
        400,
        "Bad Request: strings must be encoded in UTF-8",
    )


async def test_delete_message_follows_telegrams_48_hour_and_ownership_rules(
    emu: EmulatorClient,
) -> None:
    group = -5010
    await emu.add_chat(group, "group", title="Group", admins=[7])
    own = (await emu.call("sendMessage", chat_id=group, text="digest"))[1]["result"]["message_id"]
    theirs = (await emu.send_update(group, text="hello", from_id=7))["message"]["message_id"]
    status, body = await emu.call("deleteMessage", chat_id=group, message_id=theirs)
    assert (status, body["description"]) == (400, "Bad Request: message can't be deleted")
    old = (await emu.call("sendMessage", chat_id=group, text="old"))[1]["result"]["message_id"]
    await emu.configure(clock_offset_s=48 * 3600)  # both bot messages are now 48 h old
    status, body = await emu.call("deleteMessage", chat_id=group, message_id=old)
    assert (status, body["description"]) == (400, "Bad Request: message can't be deleted")
    status, body = await emu.call("editMessageText", chat_id=group, message_id=old, text="note")
    assert status == 200  # editing has no such limit
    await emu.configure(clock_offset_s=48 * 3600 - 60)
    assert (await emu.call("deleteMessage", chat_id=group, message_id=own))[1]["result"] is True
    assert [m["deleted"] for m in await emu.messages(group)] == [True, False]  # the bot's
