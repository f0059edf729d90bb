"""The aiohttp application and the ``Emulator`` that runs it in-process or standalone."""

from __future__ import annotations

import asyncio
import json
import re
from functools import partial
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.emulator import botapi_chat, botapi_files  # noqa: F401  (register their methods)
from bot.emulator.botapi import METHODS
from bot.emulator.config import EmulatorConfig
from bot.emulator.control import make_update, upsert_chat
from bot.emulator.errors import ApiError, ControlError, too_many_requests
from bot.emulator.params import MAX_BODY, Params, read_params
from bot.emulator.runtime import Runtime
from bot.emulator.webhook import Webhook

TOKEN = re.compile(r"(\d{1,20}):[A-Za-z0-9_-]{1,200}")
_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
_BAD_GATEWAY = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}
_NO_FAULTS = frozenset({"getupdates", "setwebhook", "deletewebhook", "getwebhookinfo"})


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=_dumps(body), status=status, content_type="application/json")


class Emulator:
    """``async with Emulator(config) as emu: emu.base_url`` — a fresh emulator on a free port."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.runtime = Runtime(self.config, self.config.copy())
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.add_routes(
            [
                web.route("*", r"/bot{token}/{method}", self.handle_bot),
                web.get(r"/file/bot{token}/{path:.+}", self.handle_file),
                web.post("/_emu/chats", self.control(self.post_chat)),
                web.get("/_emu/chats", self.control(self.get_chats)),
                web.post("/_emu/updates", self.control(self.post_update)),
                web.get("/_emu/updates", self.control(self.get_updates)),
                web.get("/_emu/messages", self.control(self.get_messages)),
                web.get("/_emu/callbacks", self.control(self.get_callbacks)),
                web.get("/_emu/stats", self.control(self.get_stats)),
                web.get("/_emu/config", self.control(self.get_config)),
                web.post("/_emu/config", self.control(self.post_config)),
                web.post("/_emu/reset", self.control(self.post_reset)),
                web.get("/_emu/faults", self.control(self.get_faults)),
                web.post("/_emu/faults", self.control(self.post_faults)),
            ]
        )
        self.runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        host = self.config.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    async def start(self) -> None:
        self.runtime.webhook = Webhook(self.runtime.queue, self.config, self.execute)
        self.runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.config.host, self.config.port)
        try:
            await site.start()
        except OSError:
            await self.stop()
            raise
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        self.runtime.queue.close()
        if self.runtime.webhook is not None:
            await self.runtime.webhook.close()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def execute(self, name: str, values: dict[str, Any]) -> None:
        """Run a method the bot returned in its webhook answer; errors only count in stats."""
        entry = METHODS.get(name.lower())
        if entry is None:
            return
        rt = self.runtime
        rt.state.stats.calls[entry.name] += 1
        try:
            await entry.handler(rt, Params(values), rt.bot_id)
            rt.state.stats.answer(200)
        except ApiError as exc:
            self._count_error(entry.name, values.get("chat_id"), exc)

    def _count_error(self, name: str, chat_id: Any, exc: ApiError) -> None:
        stats = self.runtime.state.stats
        stats.answer(exc.code)
        if exc.rule is not None:
            if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
                chat_id = int(chat_id)
            stats.violation(name, chat_id, exc.rule, exc.description)

    async def _inject_fault(
        self, request: web.Request, method: str
    ) -> tuple[web.Response | None, bool]:
        """An answer that replaces the call's, and whether to drop the answer after the
        call was carried out (``drop_after``)."""
        faults = self.runtime.faults
        fault = faults.next_scripted(method)
        if fault is None and method not in _NO_FAULTS:
            if faults.config.latency_ms:
                await asyncio.sleep(faults.latency_s())
            fault = faults.draw()
        if fault is None:
            return None, False
        if fault == "drop_after":
            return None, True
        if fault == "401":
            self.runtime.state.stats.answer(401)
            return _json(_UNAUTHORIZED, 401), False
        if fault == "429":
            raise too_many_requests(1 + faults.rng.randrange(3))
        if fault == "500":
            raise ApiError(500, "Internal Server Error")
        if fault == "502":
            self.runtime.state.stats.answer(502)
            return web.Response(text=_BAD_GATEWAY, status=502, content_type="text/html"), False
        return _dropped(request), False

    async def handle_bot(self, request: web.Request) -> web.Response:
        token = TOKEN.fullmatch(request.match_info["token"])
        if token is None:
            return _json(_UNAUTHORIZED, 401)
        rt = self.runtime
        rt.bot_id = int(token.group(1))
        requested = request.match_info["method"]
        entry = METHODS.get(requested.lower())
        name = entry.name if entry else requested[:64]
        rt.state.stats.calls[name] += 1
        params: Params | None = None
        drop_after = False
        try:
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            faulty, drop_after = await self._inject_fault(request, requested.lower())
            if faulty is not None:
                return faulty
            params = await read_params(request)
            result = await entry.handler(rt, params, rt.bot_id)
        except ApiError as exc:
            self._count_error(name, params.raw("chat_id") if params else None, exc)
            if drop_after:
                rt.state.stats.lost_answers += 1
                return _dropped(request)
            return _json(exc.payload(), exc.code)
        rt.state.stats.answer(200)
        if drop_after:  # carried out (a message stored), but the answer never arrives
            rt.state.stats.lost_answers += 1
            return _dropped(request)
        return _json({"ok": True, "result": result})

    async def handle_file(self, request: web.Request) -> web.Response:
        if TOKEN.fullmatch(request.match_info["token"]) is None:
            return _json(_UNAUTHORIZED, 401)
        path = request.match_info["path"]
        for stored in self.runtime.state.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.content, content_type=stored.mime_type)
        return _json(_NOT_FOUND, 404)

    # ---- control API -------------------------------------------------------------------

    def control(self, handler: Any) -> Any:
        async def wrapped(request: web.Request) -> web.Response:
            try:
                body: Any = None
                if request.method == "POST":
                    body = await _control_body(request)
                return _json(await handler(request, body))
            except ControlError as exc:
                return _json({"error": exc.message}, exc.status)

        return wrapped

    async def post_chat(self, request: web.Request, body: dict[str, Any]) -> Any:
        return upsert_chat(self.runtime, body)

    async def get_chats(self, request: web.Request, body: None) -> Any:
        return [chat.to_control() for chat in self.runtime.state.chats.values()]

    async def post_update(self, request: web.Request, body: dict[str, Any]) -> Any:
        return make_update(self.runtime, body)

    async def get_updates(self, request: web.Request, body: None) -> Any:
        return list(self.runtime.queue.pending)

    async def get_messages(self, request: web.Request, body: None) -> Any:
        chat_id = _query_int(request, "chat_id")
        since = _query_int(request, "since") or 0
        messages = self.runtime.state.bot_messages(chat_id, since)
        return [msg.to_control() for msg in messages]

    async def get_callbacks(self, request: web.Request, body: None) -> Any:
        chat_id = _query_int(request, "chat_id")
        queries = self.runtime.state.callbacks.values()
        return [q.to_control() for q in queries if chat_id is None or q.chat_id == chat_id]

    async def get_stats(self, request: web.Request, body: None) -> Any:
        return self.runtime.state.stats.to_control()

    async def get_config(self, request: web.Request, body: None) -> Any:
        return self.config.tunables()

    async def post_config(self, request: web.Request, body: dict[str, Any]) -> Any:
        self.config.apply(body)
        if "seed" in body:
            self.runtime.faults.reseed(self.config.seed)
        return self.config.tunables()

    async def get_faults(self, request: web.Request, body: None) -> Any:
        return self.runtime.faults.pending()

    async def post_faults(self, request: web.Request, body: dict[str, Any]) -> Any:
        return self.runtime.faults.script(body)

    async def post_reset(self, request: web.Request, body: dict[str, Any]) -> Any:
        if self.runtime.webhook is not None:
            self.runtime.webhook.delete()
        self.runtime.reset()
        return {"ok": True}


def _dropped(request: web.Request) -> web.Response:
    """Close the connection: the client gets no answer at all."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=500)


async def _control_body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise ControlError("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ControlError("the request body must be a JSON object")
    return body


def _query_int(request: web.Request, key: str) -> int | None:
    value = request.query.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ControlError(f"{key!r} must be an integer") from None
