"""The sender's light path to the Bot API, without aiogram: bodies and answers.

A successful send's answer echoes the whole digest; building aiogram's ``Message``
from it (every entity a model) cost more CPU than the rest of a send, so the sender
reads only the message id. Also here: what a proxy's non-JSON error page says, the
JSON of a link preview, :class:`JsonBodies` (a digest part, sent to thousands of chats,
is JSON-escaped once), and :func:`scrub`, which makes an error text safe to keep.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from bot.logs import redact

_URL = re.compile(r"(?:https?|wss?)://[^\s'\"<>]*", re.I)
# A successful send's answer as Telegram (and the emulator) write it: the message id
# first. Anything else is parsed as JSON.
_SENT = re.compile(rb'\{"ok":\s*true,\s*"result":\s*\{"message_id":\s*(\d+)\s*[,}]')
_TITLE = re.compile(r"<title>\s*([^<]{1,100}?)\s*</title>", re.I)


def scrub(text: str, token: str = "") -> str:
    """An error text safe to log, store and print: no request URL, no token."""
    return redact(_URL.sub("<url>", text), (token,))


def preview_json(url: str | None) -> dict[str, Any]:
    """No link preview, or a small one of ``url``, as the JSON Telegram gets."""
    if url is None:
        return {"is_disabled": True}
    return {"url": url, "prefer_small_media": True}


def is_json(raw: str) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


def page_reason(status: int, raw: str) -> str:
    """What a non-JSON 5xx answer says: its HTML title, else its HTTP status."""
    title = _TITLE.search(raw)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Server Error"
    said = title.group(1) if title else f"{status} {phrase}"
    return f"{said} (HTTP {status}, not a Bot API answer)"


@dataclass(frozen=True, slots=True)
class Sent:
    """What the sender reads from a successful send or edit."""

    message_id: int


def sent_message(raw: bytes) -> Sent | bool | None:
    """A successful send/edit answer, reduced to its message id (True for an answer
    whose result is just true); None for anything else, which goes the normal way."""
    match = _SENT.match(raw)
    if match is not None:  # the id, without decoding the echoed 4 KB digest
        return Sent(int(match.group(1)))
    try:
        data = json.loads(raw)
        if data.get("ok") is not True:
            return None
        result = data["result"]
        if result is True:
            return True
        return Sent(int(result["message_id"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


class JsonBodies:
    """JSON request bodies, with the escaped text of the last few long texts kept: the
    same digest part goes to every chat of its (language, mode, topics), and escaping
    4 KB of Chinese cost more than the rest of the body."""

    def __init__(self, keep: int = 32) -> None:
        self.keep = keep
        self._texts: dict[str, bytes] = {}

    def body(self, payload: dict[str, Any]) -> bytes:
        """``payload`` as UTF-8 JSON (not escaped to \\uXXXX: half the bytes)."""
        text = payload.get("text")
        if not isinstance(text, str) or len(text) < 256:
            return json.dumps(payload, ensure_ascii=False).encode()
        quoted = self._texts.get(text)
        if quoted is None:
            if len(self._texts) >= self.keep:
                self._texts.clear()
            quoted = self._texts[text] = json.dumps(text, ensure_ascii=False).encode()
        rest = json.dumps({k: v for k, v in payload.items() if k != "text"}, ensure_ascii=False)
        return b'%s%s"text":%s}' % (rest[:-1].encode(), b"," if len(rest) > 2 else b"", quoted)
