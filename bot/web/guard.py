"""What every public form of the site goes through: a bounded body, a signed
time-stamped form token (CSRF), and per-client rate limits kept in bounded memory.

- The body is read up to :data:`MAX_FORM_BYTES` (``Content-Length`` or not) and parsed
  as ``application/x-www-form-urlencoded``; more is :class:`FormTooLarge` (a 413 page).
- A form token is an itsdangerous signature (``BOT_SECRET_KEY``, its own salt) over the
  form's name and, for a subscriber's page, its id, with the time it was made: a POST
  without a token made by this site for this form within :data:`FORM_MAX_AGE` is refused.
  The pages use no cookie, so there is no session to steal.
- :class:`RateLimiter` counts the requests of each client in a sliding window; it keeps
  at most ``max_keys`` clients (the least recently seen are forgotten first), so a flood
  from many addresses costs bounded memory.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from urllib.parse import parse_qsl

from aiohttp import web
from itsdangerous import BadData, URLSafeTimedSerializer
from pydantic import SecretStr

MAX_FORM_BYTES = 16 * 1024
FORM_MAX_AGE = 6 * 3600  # a form left open for a working day is still accepted
MAX_FIELDS = 64
_FORM_SALT = "bot.web.form"


class FormTooLarge(Exception):
    """The body is larger than a form of ours can be."""


async def read_form(request: web.Request) -> dict[str, list[str]]:
    """The urlencoded body as ``{name: [values]}``, bounded in bytes and fields."""
    length = request.content_length
    if length is not None and length > MAX_FORM_BYTES:
        raise FormTooLarge
    body = bytearray()
    while len(body) <= MAX_FORM_BYTES:  # a read returns what has arrived: loop to the end
        chunk = await request.content.read(MAX_FORM_BYTES + 1 - len(body))
        if not chunk:
            break
        body += chunk
    if len(body) > MAX_FORM_BYTES:
        raise FormTooLarge
    fields: dict[str, list[str]] = {}
    text = body.decode("utf-8", errors="replace")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:  # more fields than any form of ours has
        raise FormTooLarge from None
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


def field(fields: dict[str, list[str]], name: str) -> str:
    """The first value of ``name`` (empty when absent)."""
    values = fields.get(name)
    return values[0] if values else ""


class FormTokens:
    """Makes and checks the hidden ``form_token`` of each form."""

    def __init__(self, secret: SecretStr, *, clock: Callable[[], float] = time.time) -> None:
        self._serializer = URLSafeTimedSerializer(
            secret.get_secret_value(),
            salt=_FORM_SALT,
            signer_kwargs={"digest_method": hashlib.sha256},
        )
        self._clock = clock

    def __repr__(self) -> str:
        return "FormTokens(secret=**********)"

    def make(self, form: str, subject: int | None = None) -> str:
        token = self._serializer.dumps([form, subject])
        return token if isinstance(token, str) else token.decode("ascii")

    def check(self, token: str, form: str, subject: int | None = None) -> bool:
        """Whether ``token`` was made by us for this form (and subscriber), recently."""
        if not token or len(token) > 500 or not token.isascii():
            return False
        try:
            data = self._serializer.loads(token, max_age=FORM_MAX_AGE)
        except BadData:
            return False
        return bool(data == [form, subject])


class RateLimiter:
    """At most ``limit`` hits per ``window`` seconds for each key; bounded in memory."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._hits)

    def hit(self, key: str) -> bool:
        """Count one request of ``key``; False when it is over the limit (not counted)."""
        now = self._clock()
        hits = self._hits.pop(key, None) or deque(maxlen=self.limit)
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        allowed = len(hits) < self.limit
        if allowed:
            hits.append(now)
        self._hits[key] = hits  # the most recently seen at the end
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)
        return allowed


def client_key(request: web.Request, *, trust_proxy: bool) -> str:
    """The client's address: the TCP peer, or behind a trusted proxy the last address of
    ``X-Forwarded-For`` (the one the proxy appended; earlier ones are the client's say)."""
    address = request.remote or "unknown"
    if trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")[-1000:]
        address = forwarded.rsplit(",", 1)[-1].strip() or address
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return request.remote or "unknown"
    if ip.version == 6:  # one subscriber line gets a whole /64: count it as one client
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
