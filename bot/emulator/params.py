"""Bot API request parameters from the query string and url-encoded, multipart or JSON bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from bot.emulator.errors import ApiError, bad_request

MAX_BODY = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content_type: str
    content: bytes


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.body_exists:
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            values.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                form = await request.post()
            except ValueError:
                raise bad_request("strings must be encoded in UTF-8") from None
            for key, value in form.items():
                if isinstance(value, FileField):
                    data = value.file.read()
                    values[key] = Upload(value.filename, value.content_type, data)
                else:
                    values[key] = value
    return Params(values)


class Params:
    """Typed access to parameters that arrive as strings or as JSON values."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def string(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, Upload):
            return value.content.decode("utf-8", errors="replace")
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, missing: str | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            if missing:
                raise bad_request(missing)
            return None
        if isinstance(value, bool):
            value = int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def chat_ref(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value in (None, ""):
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            if text.startswith("@"):
                return text
            raise bad_request("chat not found") from None

    def json(self, name: str, what: str) -> Any:
        """A nested object, given as JSON text (aiogram) or as a JSON value."""
        value = self.values.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what} JSON object") from None
        return value


def upload_or_id(params: Params, name: str) -> Upload | str:
    value = params.raw(name)
    if isinstance(value, Upload):
        return value
    if isinstance(value, str) and value.startswith("attach://"):
        attached = params.raw(value.removeprefix("attach://"))
        if isinstance(attached, Upload):
            return attached
    if isinstance(value, str) and value:
        return value
    raise ApiError(400, f"Bad Request: there is no {name} in the request")
