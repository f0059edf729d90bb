"""Webhook mode: POST each pending update to the bot, in order, with its secret token."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.emulator.config import EmulatorConfig
from bot.emulator.errors import bad_request
from bot.emulator.params import Upload
from bot.emulator.queue import UpdateQueue

SECRET_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# Runs a Bot API method returned in a webhook answer (Telegram allows that).
Executor = Callable[[str, dict[str, Any]], Awaitable[None]]


def check_url(url: str) -> None:
    """Only loopback receivers: the emulator never sends traffic off this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    host = parts.hostname
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise bad_request("bad webhook: the emulator only delivers to loopback addresses")


def check_secret(secret: str) -> None:
    if not 1 <= len(secret) <= 256 or not set(secret) <= SECRET_CHARS:
        raise bad_request("secret token contains unallowed characters")


class Webhook:
    def __init__(self, queue: UpdateQueue, config: EmulatorConfig, execute: Executor) -> None:
        self.queue = queue
        self.config = config
        self.execute = execute
        self.url = ""
        self.secret: str | None = None
        self.max_connections = 40
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.session: aiohttp.ClientSession | None = None
        self.task: asyncio.Task[None] | None = None
        self.changed = asyncio.Event()

    @property
    def active(self) -> bool:
        return bool(self.url)

    def set(self, url: str, secret: str | None, max_connections: int) -> None:
        self.url, self.secret, self.max_connections = url, secret, max_connections
        self.last_error_date = self.last_error_message = None
        self.changed.set()
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="emulator-webhook")

    def delete(self) -> None:
        self.url, self.secret = "", None
        self.changed.set()

    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.queue.pending),
        }
        if self.url:
            data["max_connections"] = self.max_connections
            data["ip_address"] = "127.0.0.1"
            if self.queue.allowed:
                data["allowed_updates"] = list(self.queue.allowed)
        if self.last_error_date is not None:
            data["last_error_date"] = self.last_error_date
            data["last_error_message"] = self.last_error_message
        return data

    async def close(self) -> None:
        self.url = ""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the webhook is changed or an update arrives."""
        self.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.changed.wait(), seconds)

    async def _run(self) -> None:
        while self.url:
            if not self.queue.pending:
                self.queue.arrival.clear()
                await self._wait_update(self.queue.arrival)
                continue
            update = self.queue.pending[0]
            if await self._post(update):
                self.queue.confirm(update["update_id"] + 1)
            else:
                await self._sleep(self.config.webhook_retry_s)

    async def _wait_update(self, wake: asyncio.Event) -> None:
        changed = asyncio.ensure_future(self.changed.wait())
        arrived = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait({changed, arrived}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()
            arrived.cancel()
            self.changed.clear()

    async def _post(self, update: dict[str, Any]) -> bool:
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        headers = {"Content-Type": "application/json"}
        if self.secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.secret
        try:
            async with self.session.post(
                self.url, data=json.dumps(update), headers=headers
            ) as resp:
                if resp.status // 100 != 2:
                    await resp.read()
                    self._error(f"Wrong response from the webhook: {resp.status} {resp.reason}")
                    return False
                answer = await _read_answer(resp)
        except aiohttp.ClientConnectorError:
            self._error("Connection refused")
            return False
        except TimeoutError:
            self._error("Read timeout expired")
            return False
        except (aiohttp.ClientError, OSError) as exc:
            self._error(f"Connection failed: {exc.__class__.__name__}")
            return False
        if answer is not None and isinstance(answer.get("method"), str):
            await self.execute(answer.pop("method"), answer)
        return True

    def _error(self, message: str) -> None:
        self.last_error_date = int(time.time())
        self.last_error_message = message


async def _read_answer(resp: aiohttp.ClientResponse) -> dict[str, Any] | None:
    """A method call in the webhook's answer: JSON (or form data, as aiogram sends it)."""
    if resp.content_type == "multipart/form-data":
        values: dict[str, Any] = {}
        reader = aiohttp.MultipartReader.from_response(resp)
        async for part in reader:
            if isinstance(part, aiohttp.BodyPartReader) and part.name:
                if part.filename:
                    content = bytes(await part.read())
                    values[part.name] = Upload(part.filename, "", content)
                else:
                    values[part.name] = await part.text()
        return values
    body = await resp.read()
    try:
        answer = json.loads(body) if body.strip() else None
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None
