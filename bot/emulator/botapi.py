"""Bot API methods: messages, updates, webhooks. Each returns the ``result`` or raises ApiError."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.emulator import objects
from bot.emulator.errors import ApiError, bad_request
from bot.emulator.limits import FormattedText, check_reply_markup, format_text
from bot.emulator.params import Params
from bot.emulator.runtime import Runtime
from bot.emulator.state import Chat, Message, Version, now
from bot.emulator.webhook import check_secret, check_url

Handler = Callable[[Runtime, Params, int], Awaitable[Any]]
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
_SEND_OPTIONS = (
    "disable_notification",
    "protect_content",
    "allow_paid_broadcast",
    "disable_web_page_preview",
    "message_effect_id",
)


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    handler: Handler


METHODS: dict[str, Method] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = Method(name, handler)
        return handler

    return register


def markup_param(p: Params) -> dict[str, Any] | None:
    return check_reply_markup(p.json("reply_markup", "reply keyboard markup"))


def text_param(p: Params, field: str = "text", entities: str = "entities") -> FormattedText:
    return format_text(
        p.string(field),
        p.string("parse_mode"),
        p.json(entities, "entities"),
        caption=field == "caption",
    )


def send_options(p: Params) -> dict[str, Any]:
    options: dict[str, Any] = {key: p.flag(key) for key in _SEND_OPTIONS if p.has(key)}
    for key in ("link_preview_options", "reply_parameters"):
        value = p.json(key, key.replace("_", " "))
        if value is not None:
            options[key] = value
    return options


def reply_target(rt: Runtime, chat: Chat, p: Params, options: dict[str, Any]) -> Message | None:
    """The message replied to (reply_parameters or the older reply_to_message_id)."""
    params = options.get("reply_parameters")
    if isinstance(params, dict):
        message_id, allow = (
            params.get("message_id"),
            bool(params.get("allow_sending_without_reply")),
        )
    else:
        message_id = p.integer("reply_to_message_id")
        allow = p.flag("allow_sending_without_reply")
    if not message_id:
        return None
    target = rt.state.messages.get((chat.id, message_id)) if isinstance(message_id, int) else None
    if target is None or target.deleted:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return target


def record_entities(rt: Runtime, msg: Message, fmt: FormattedText, name: str) -> None:
    if fmt.too_many_entities:
        rt.state.stats.violation(
            name,
            msg.chat.id,
            "too_many_entities",
            f"{len(fmt.entities)} entities; Telegram keeps formatting for at most 100",
        )


def _own_message(rt: Runtime, chat: Chat, p: Params, missing: str) -> Message:
    message_id = p.integer("message_id", missing="message identifier is not specified")
    assert message_id is not None
    msg = rt.state.messages.get((chat.id, message_id))
    if msg is None or msg.deleted:
        raise bad_request(missing)
    if not msg.from_bot:
        raise bad_request("message can't be edited")
    return msg


@method("getMe")
async def get_me(rt: Runtime, p: Params, bot_id: int) -> Any:
    return objects.get_me(rt.config, bot_id)


@method("sendMessage")
async def send_message(rt: Runtime, p: Params, bot_id: int) -> Any:
    chat = rt.writable_chat(p.chat_ref())
    fmt = text_param(p)
    markup = markup_param(p)
    options = send_options(p)
    thread_id = p.integer("message_thread_id")
    reply_to = reply_target(rt, chat, p, options)
    rt.flood(chat)
    version = Version(fmt.text, fmt.plain, fmt.entities, markup, now())
    msg = rt.state.add_message(
        chat, True, bot_id, version, thread_id=thread_id, options=options, reply_to=reply_to
    )
    record_entities(rt, msg, fmt, "sendMessage")
    return objects.message(msg, rt.config)


async def _edit(rt: Runtime, p: Params, text: bool) -> Any:
    if p.has("inline_message_id") and not p.has("chat_id"):
        raise bad_request("message to edit not found")
    chat = rt.writable_chat(p.chat_ref())
    msg = _own_message(rt, chat, p, "message to edit not found")
    current = msg.current
    markup = markup_param(p)
    if text:
        if msg.document is not None:
            raise bad_request("there is no text in the message to edit")
        fmt = text_param(p)
    else:
        fmt = FormattedText(current.text, current.plain, current.entities)
    if (fmt.plain, fmt.entities, markup) == (current.plain, current.entities, current.reply_markup):
        raise bad_request(NOT_MODIFIED)
    msg.edits.append(current)
    msg.current = Version(fmt.text, fmt.plain, fmt.entities, markup, now())
    record_entities(rt, msg, fmt, "editMessageText" if text else "editMessageReplyMarkup")
    return objects.message(msg, rt.config)


@method("editMessageText")
async def edit_message_text(rt: Runtime, p: Params, bot_id: int) -> Any:
    return await _edit(rt, p, text=True)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(rt: Runtime, p: Params, bot_id: int) -> Any:
    return await _edit(rt, p, text=False)


DELETE_WITHIN_S = 48 * 3600  # Telegram: "sent less than 48 hours ago"


@method("deleteMessage")
async def delete_message(rt: Runtime, p: Params, bot_id: int) -> Any:
    """Telegram's rules: a message sent less than 48 hours ago (by the emulator's clock,
    which ``clock_offset_s`` moves forward); the bot's own message, any message of a
    private chat, or any message where the bot is an administrator."""
    chat = rt.chat(p.chat_ref())
    message_id = p.integer("message_id", missing="message identifier is not specified")
    msg = rt.state.messages.get((chat.id, message_id or 0))
    if msg is None or msg.deleted:
        raise bad_request("message to delete not found")
    sent = msg.edits[0].date if msg.edits else msg.current.date
    if now() + rt.config.clock_offset_s - sent >= DELETE_WITHIN_S:
        raise bad_request("message can't be deleted")
    if not (msg.from_bot or chat.type == "private" or bot_id in chat.admins):
        raise bad_request("message can't be deleted")
    msg.deleted = True
    return True


@method("getUpdates")
async def get_updates(rt: Runtime, p: Params, bot_id: int) -> Any:
    if rt.webhook_active():
        raise ApiError(409, CONFLICT_WEBHOOK)
    queue = rt.queue
    allowed = p.json("allowed_updates", "allowed updates")
    if allowed is not None and not (
        isinstance(allowed, list) and all(isinstance(a, str) for a in allowed)
    ):
        raise bad_request("can't parse allowed updates JSON object")
    queue.set_allowed(allowed)
    queue.confirm(p.integer("offset") or 0)
    limit = min(100, max(1, p.integer("limit") or 100))
    timeout = max(0, p.integer("timeout") or 0)
    waiter = queue.register()
    try:
        await queue.wait(waiter, timeout)
        if waiter.terminated:
            raise ApiError(409, CONFLICT_POLL)
        if rt.webhook_active():
            raise ApiError(409, CONFLICT_WEBHOOK)
        return queue.take(limit)
    finally:
        queue.unregister(waiter)


@method("setWebhook")
async def set_webhook(rt: Runtime, p: Params, bot_id: int) -> Any:
    assert rt.webhook is not None
    url = (p.string("url") or "").strip()
    if not url:
        return await delete_webhook(rt, p, bot_id)
    check_url(url)
    secret = p.string("secret_token")
    if secret is not None:
        check_secret(secret)
    allowed = p.json("allowed_updates", "allowed updates")
    rt.queue.set_allowed(allowed if isinstance(allowed, list) else None)
    if p.flag("drop_pending_updates"):
        rt.queue.drop_pending()
    max_connections = min(100, max(1, p.integer("max_connections") or 40))
    rt.queue.close_pollers()
    rt.webhook.set(url, secret, max_connections)
    return True


@method("deleteWebhook")
async def delete_webhook(rt: Runtime, p: Params, bot_id: int) -> Any:
    assert rt.webhook is not None
    rt.webhook.delete()
    if p.flag("drop_pending_updates"):
        rt.queue.drop_pending()
    return True


@method("getWebhookInfo")
async def get_webhook_info(rt: Runtime, p: Params, bot_id: int) -> Any:
    assert rt.webhook is not None
    return rt.webhook.info()
