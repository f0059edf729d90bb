"""The two Bot API calls the sender makes, through aiogram's ``Bot``.

`bot run` passes the ``Bot`` it already polls with; `bot publish --send` and the
benchmarks build one with :func:`open_bot`. Digests are HTML; link previews are off
unless the chat turned them on, and then show the article of the part's first entry.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, TypeVar, cast

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramServerError,
)
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import LinkPreviewOptions
from aiohttp import ClientConnectorError, ClientError, ClientTimeout

from bot.delivery.answers import JsonBodies, is_json, page_reason, preview_json, scrub, sent_message
from bot.delivery.outbound import bulk
from bot.delivery.wire import NoAnswer, Origin, Pool, Unsent
from bot.logs import register_secret

T = TypeVar("T")

ChatRef = int | str  # a numeric chat id, or "@channelname" for BOT_CHANNEL

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class ConnectFailed(TelegramNetworkError):
    """No connection could be made: the request surely never reached the server."""


class RedactingSession(AiohttpSession):
    """aiogram's aiohttp session whose exceptions never carry the request URL.

    Every Bot API URL holds the token (``/bot<token>/sendMessage``): aiohttp puts it
    in ``TooManyRedirects``/``ClientResponseError`` messages, and aiogram's
    ``ClientDecodeError`` carries a proxy's whole error page, which may echo the
    path. Here network errors keep only their type and scrubbed message, decode
    errors only the status and size of the answer, Telegram's descriptions are
    scrubbed, and none chains the original exception (``from None``), so neither
    stored errors nor tracebacks can print the token.
    """

    _registered = ""  # the token register_secret last got from here

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        return await self.redacted(bot, lambda: method, self.request(bot, method, timeout))

    async def redacted(
        self, bot: Bot, method: Callable[[], TelegramMethod[Any]], call: Awaitable[T]
    ) -> T:
        """Await ``call`` (a request of ``bot``'s); its failures without URL or token."""
        if self._registered != bot.token:  # once per token, not once per call
            register_secret(bot.token)
            self._registered = bot.token
        try:
            return await call
        except TelegramNetworkError as exc:
            message = scrub(exc.message, bot.token)
            unsent = isinstance(exc, ConnectFailed) or isinstance(
                exc.__cause__, ClientConnectorError
            )
            kind = ConnectFailed if unsent else TelegramNetworkError
            raise kind(method=method(), message=message) from None
        except ClientDecodeError as exc:
            size = len(exc.data) if isinstance(exc.data, str | bytes) else 0
            raise ClientDecodeError(
                f"{size} characters that are not JSON", ValueError("not JSON"), ""
            ) from None
        except TelegramAPIError as exc:
            exc.message = scrub(exc.message, bot.token)
            raise

    async def request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        """The request itself (aiogram's); subclasses change how it is made."""
        return await super().make_request(bot, method, timeout)


def preview_options(url: str | None) -> LinkPreviewOptions:
    """No preview, or a small one of ``url`` (the first entry's article)."""
    if url is None:
        return NO_PREVIEW
    return LinkPreviewOptions(url=url, prefer_small_media=True)


class JsonSession(RedactingSession):
    """aiogram's aiohttp session, posting JSON bodies instead of url-encoded forms.

    Telegram takes both; url-encoding a 4 KB Chinese digest byte by byte in pure
    Python cost about a millisecond of CPU per message, ``json.dumps`` a few
    microseconds. Requests with files still go out as multipart forms.
    """

    light_results = False  # set by open_bot: only DigestClient reads these answers

    async def request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        files: dict[str, Any] = {}
        payload = {
            key: prepared
            for key, value in method.model_dump(warnings=False).items()
            if (prepared := self.prepare_value(value, bot=bot, files=files, _dumps_json=False))
            is not None
        }
        if files:
            return await super().request(bot, method, timeout)
        light = isinstance(method, SendMessage | EditMessageText)
        result = await self.post_json(
            bot, method.__api_method__, payload, lambda: method, light, timeout=timeout
        )
        return cast(TelegramType, result)

    async def post_json(
        self,
        bot: Bot,
        api_method: str,
        payload: dict[str, Any],
        method: Callable[[], TelegramMethod[Any]],
        light: bool = False,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (as aiogram's make_request)
    ) -> Any:
        """POST ``payload`` (plain JSON values) to ``api_method``; the result, or aiogram's
        exception. ``method`` builds the aiogram method object, which is only needed to
        raise an exception or to read an answer the light path does not understand: the
        sender's sends skip building (and validating, and dumping) it at all."""
        url = self.api.api_url(token=bot.token, method=api_method)
        body = self._bodies.body(payload)
        seconds = self.timeout if timeout is None else timeout
        answer = await self._post_wire(url, body, method, seconds)
        if answer is None:  # a proxy, a redirect, an odd URL: aiohttp's way
            answer = await self._post_aiohttp(url, body, method, seconds)
        status, data = answer
        if light and self.light_results and status == HTTPStatus.OK:
            sent = sent_message(data)
            if sent is not None:
                return sent
        raw = data.decode("utf-8", "replace")
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR and not is_json(raw):
            # A proxy's error page: aiogram would say only "Failed to decode object".
            raise TelegramServerError(method=method(), message=page_reason(status, raw))
        response = self.check_response(bot=bot, method=method(), status_code=status, content=raw)
        return response.result

    async def _post_aiohttp(
        self, url: str, body: bytes, method: Callable[[], TelegramMethod[Any]], seconds: float
    ) -> tuple[int, bytes]:
        session = await self.create_session()
        try:
            async with session.post(
                url, data=body, headers=_JSON_HEADERS, timeout=ClientTimeout(total=seconds)
            ) as resp:
                return resp.status, await resp.read()
        except TimeoutError as exc:
            raise TelegramNetworkError(method=method(), message="Request timeout error") from exc
        except ClientError as exc:
            raise TelegramNetworkError(
                method=method(), message=f"{type(exc).__name__}: {exc}"
            ) from exc

    async def _post_wire(
        self, url: str, body: bytes, method: Callable[[], TelegramMethod[Any]], seconds: float
    ) -> tuple[int, bytes] | None:
        """The POST through the lean client (:mod:`bot.delivery.wire`); None when it
        does not apply (a proxy, an odd URL) or the answer is a redirect, which only
        aiohttp follows (a redirected request was not carried out: resending is safe)."""
        target = self._wire_target(url)
        if target is None:
            return None
        pool, path = target
        try:
            answer = await pool.post(path, body, seconds)
        except Unsent as exc:
            raise ConnectFailed(method=method(), message=str(exc)) from None
        except NoAnswer as exc:
            raise TelegramNetworkError(method=method(), message=f"no answer: {exc}") from None
        except TimeoutError:
            raise TelegramNetworkError(method=method(), message="Request timeout error") from None
        if HTTPStatus.MULTIPLE_CHOICES <= answer.status < HTTPStatus.BAD_REQUEST:
            return None
        return answer.status, answer.body

    _bodies = JsonBodies()  # shared: a cache of escaped digest texts
    use_wire = True  # False: every call through aiohttp (the benchmark's baseline)
    _origin: Origin | None = None

    def _wire_target(self, url: str) -> tuple[Pool, str] | None:
        if self.proxy is not None or not self.use_wire:
            return None
        if self._origin is None:
            tls = self._connector_init.get("ssl")  # aiogram's: certifi's CAs
            limit = int(self._connector_init.get("limit", 100))
            self._origin = Origin(limit, tls if isinstance(tls, ssl.SSLContext) else None)
        return self._origin.target(url)

    async def close(self) -> None:
        if self._origin is not None:
            self._origin.close()
        await super().close()


_JSON_HEADERS = {"Content-Type": "application/json"}


def open_bot(
    token: str,
    api_base: str,
    *,
    connections: int = 100,
    timeout: float = 20.0,
    light: bool = True,
    wire: bool = True,
) -> Bot:
    """A ``Bot`` for the sender, talking to ``api_base`` (Telegram, or the emulator).

    With ``light`` (the default) ``send_message``/``edit_message_text`` return only
    :class:`Sent` (the message id), not a full ``Message``: use ``light=False`` for
    a ``Bot`` whose answers other code reads. ``wire=False`` makes every call through
    aiohttp instead of :mod:`bot.delivery.wire`.
    """
    register_secret(token)
    session = JsonSession(api=TelegramAPIServer.from_base(api_base), limit=connections)
    session.light_results = light
    session.use_wire = wire
    session.timeout = timeout
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


class DigestClient:
    """Sends and edits digest parts; errors surface as aiogram's exceptions.

    Its calls are the bulk lane of the outbound path (``bot.delivery.outbound``): the
    sender paced them and handles their 429s, so a shared ``Bot`` lets them through.
    """

    def __init__(self, bot: Bot, *, paid_broadcast: bool = False) -> None:
        self.bot = bot
        self.paid_broadcast = paid_broadcast

    async def send(
        self,
        chat: ChatRef,
        html: str,
        thread_id: int | None,
        preview: str | None = None,
        *,
        silent: bool = False,
    ) -> int:
        session = self.bot.session
        if isinstance(session, JsonSession) and session.light_results:
            # The sender's hot path: the JSON body directly, no aiogram method object
            # (its failures still lose the URL and token: ``redacted``).
            payload: dict[str, Any] = {
                "chat_id": chat,
                "text": html,
                "parse_mode": "HTML",
                "link_preview_options": preview_json(preview),
            }
            if thread_id is not None:
                payload["message_thread_id"] = thread_id
            if silent:
                payload["disable_notification"] = True
            if self.paid_broadcast:
                payload["allow_paid_broadcast"] = True

            def method() -> SendMessage:
                return SendMessage(
                    chat_id=chat,
                    text=html,
                    parse_mode="HTML",
                    message_thread_id=thread_id,
                    disable_notification=True if silent else None,
                    link_preview_options=preview_options(preview),
                    allow_paid_broadcast=True if self.paid_broadcast else None,
                )

            sent = await session.redacted(
                self.bot,
                method,
                session.post_json(self.bot, "sendMessage", payload, method, light=True),
            )
            return int(sent.message_id)
        with bulk():
            message = await self.bot.send_message(
                chat_id=chat,
                text=html,
                message_thread_id=thread_id,
                disable_notification=True if silent else None,
                link_preview_options=preview_options(preview),
                allow_paid_broadcast=True if self.paid_broadcast else None,
            )
        return message.message_id

    async def edit(
        self, chat: ChatRef, message_id: int, html: str, preview: str | None = None
    ) -> None:
        with bulk():
            await self.bot.edit_message_text(
                chat_id=chat,
                message_id=message_id,
                text=html,
                link_preview_options=preview_options(preview),
            )

    async def delete(self, chat: ChatRef, message_id: int) -> None:
        with bulk():
            await self.bot.delete_message(chat_id=chat, message_id=message_id)

    async def close(self) -> None:
        await self.bot.session.close()
