"""Bot API methods beyond messages: documents, commands, chats and members."""

from __future__ import annotations

import aiohttp

from tests.support.emulator import EmulatorClient


async def test_send_document_upload_then_resend_by_file_id(emulator: EmulatorClient) -> None:
    await emulator.add_chat(3)
    form = aiohttp.FormData()
    form.add_field("chat_id", "3")
    form.add_field("caption", "<b>Issue</b> 42")
    form.add_field("parse_mode", "HTML")
    form.add_field("document", b"# digest\n", filename="issue.md")
    async with emulator.session.post(f"{emulator.api_url}/sendDocument", data=form) as resp:
        result = (await resp.json())["result"]
    assert result["caption"] == "Issue 42"
    assert result["caption_entities"][0]["type"] == "bold"
    file_id = result["document"]["file_id"]
    assert result["document"]["file_name"] == "issue.md"
    status, body = await emulator.call("sendDocument", chat_id=3, document=file_id)
    assert status == 200 and body["result"]["document"]["file_id"] == file_id
    status, body = await emulator.call(
        "sendDocument", chat_id=3, document=file_id, caption="x" * 1025
    )
    assert body["description"] == "Bad Request: message caption is too long"
    status, body = await emulator.call("sendDocument", chat_id=3, document="unknown")
    assert body["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
    status, body = await emulator.call(
        "editMessageText", chat_id=3, message_id=result["message_id"], text="x"
    )
    assert body["description"] == "Bad Request: there is no text in the message to edit"


async def test_commands_are_kept_per_scope_and_language(emulator: EmulatorClient) -> None:
    default = [{"command": "start", "description": "Subscribe"}]
    chinese = [{"command": "start", "description": "订阅"}]
    admins = {"type": "all_chat_administrators"}
    assert (await emulator.call("setMyCommands", commands=default))[1]["result"] is True
    await emulator.call("setMyCommands", commands=chinese, language_code="zh")
    await emulator.call(
        "setMyCommands",
        commands=[*default, {"command": "publish", "description": "Publish an issue"}],
        scope=admins,
    )
    assert (await emulator.call("getMyCommands"))[1]["result"] == default
    assert (await emulator.call("getMyCommands", language_code="zh"))[1]["result"] == chinese
    assert len((await emulator.call("getMyCommands", scope=admins))[1]["result"]) == 2
    assert (await emulator.call("getMyCommands", language_code="fr"))[1]["result"] == []
    status, body = await emulator.call(
        "setMyCommands", commands=[{"command": "Bad Command", "description": "x"}]
    )
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")
    await emulator.call("deleteMyCommands")
    assert (await emulator.call("getMyCommands"))[1]["result"] == []


async def test_chat_info_and_configurable_admins(emulator: EmulatorClient) -> None:
    await emulator.add_chat(
        -20, type="supergroup", title="Readers", username="readers", admins=[11]
    )
    _, body = await emulator.call("getChat", chat_id="@readers")
    assert body["result"]["id"] == -20 and body["result"]["title"] == "Readers"
    _, body = await emulator.call("getChatMember", chat_id=-20, user_id=11)
    assert body["result"]["status"] == "administrator"
    _, body = await emulator.call("getChatMember", chat_id=-20, user_id=12)
    assert body["result"]["status"] == "member"
    _, body = await emulator.call("getChatAdministrators", chat_id=-20)
    assert [m["user"]["id"] for m in body["result"]] == [11]
    await emulator.update_chat(-20, admins=[12])
    _, body = await emulator.call("getChatMember", chat_id=-20, user_id=12)
    assert body["result"]["status"] == "administrator"
    status, body = await emulator.call("getChat", chat_id=-21)
    assert (status, body["description"]) == (400, "Bad Request: chat not found")


async def test_channels_have_admins_and_the_bot_is_admin_only_where_added(
    emulator: EmulatorClient,
) -> None:
    bot_id = int(emulator.token.split(":")[0])
    await emulator.add_chat(-1007, "channel", title="Mine", username="minechan", admins=[71])
    await emulator.add_chat(-1008, "channel", title="Elsewhere", admins=[71], bot_status="left")
    status, body = await emulator.call("getChatMember", chat_id="@minechan", user_id=bot_id)
    assert body["result"]["status"] == "administrator"
    status, body = await emulator.call("getChatMember", chat_id=-1007, user_id=71)
    assert body["result"]["status"] == "administrator"
    status, body = await emulator.call("getChatMember", chat_id=-1007, user_id=72)
    assert body["result"]["status"] == "member"
    status, body = await emulator.call("getChatAdministrators", chat_id=-1007)
    assert sorted(m["user"]["id"] for m in body["result"]) == sorted([71, bot_id])
    status, body = await emulator.call("getChatMember", chat_id=-1008, user_id=bot_id)
    assert body["result"]["status"] == "left"
    status, body = await emulator.call("getChatAdministrators", chat_id=-1008)
    assert body["description"] == "Bad Request: member list is inaccessible"
    status, body = await emulator.call("sendMessage", chat_id=-1008, text="hi")
    assert status == 403
    assert body["description"] == "Forbidden: bot is not a member of the channel chat"
    status, body = await emulator.call("getChatMember", chat_id=-1008, user_id=71)
    assert body["description"] == "Bad Request: member list is inaccessible"
