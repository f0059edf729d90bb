"""Bot API documents: sendDocument and getFile (downloads are served by the server)."""

from __future__ import annotations

import mimetypes
from typing import Any

from bot.emulator import objects
from bot.emulator.botapi import (
    markup_param,
    method,
    record_entities,
    reply_target,
    send_options,
    text_param,
)
from bot.emulator.errors import bad_request
from bot.emulator.params import Params, Upload, upload_or_id
from bot.emulator.runtime import Runtime
from bot.emulator.state import Version, now

MAX_UPLOAD = 50 * 1024 * 1024


def guess_mime(file_name: str) -> str:
    if file_name.lower().endswith(".md"):
        return "text/markdown"
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


@method("sendDocument")
async def send_document(rt: Runtime, p: Params, bot_id: int) -> Any:
    chat = rt.writable_chat(p.chat_ref())
    document = upload_or_id(p, "document")
    if isinstance(document, Upload):
        if not document.content:
            raise bad_request("file must be non-empty")
        if len(document.content) > MAX_UPLOAD:
            raise bad_request("file is too big")
        name = document.filename or "document"
        mime = document.content_type
        if mime in ("", "application/octet-stream"):
            mime = guess_mime(name)
        stored = None
    else:
        stored = rt.state.files.get(document)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
    fmt = text_param(p, "caption", "caption_entities")
    markup = markup_param(p)
    options = send_options(p)
    reply_to = reply_target(rt, chat, p, options)
    rt.flood(chat)
    if stored is None:
        assert isinstance(document, Upload)
        stored = rt.state.store_file(name, mime, document.content)
    version = Version(fmt.text, fmt.plain, fmt.entities, markup, now())
    msg = rt.state.add_message(
        chat,
        True,
        bot_id,
        version,
        document=stored,
        thread_id=p.integer("message_thread_id"),
        options=options,
        reply_to=reply_to,
    )
    record_entities(rt, msg, fmt, "sendDocument")
    return objects.message(msg, rt.config)


@method("getFile")
async def get_file(rt: Runtime, p: Params, bot_id: int) -> Any:
    stored = rt.state.files.get(p.string("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
        "file_path": stored.file_path,
    }
