"""Callback data factories (≤ 64 bytes each) and the short-lived state some buttons need.

Buttons whose state does not fit in 64 bytes (a search query, an uploaded issue
waiting for Confirm) carry a random token that points into a :class:`TokenCache`.
The cache forgets after a while or on restart; the handler then answers
"this page has expired" instead of failing.
"""

from __future__ import annotations

import secrets
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from aiogram.filters.callback_data import CallbackData

V = TypeVar("V")


class SearchPage(CallbackData, prefix="s"):
    token: str
    page: int


class IssuesPage(CallbackData, prefix="il"):
    year: int  # the issues of that year ("il:2021:2", far below 64 bytes)
    page: int = 1


class ShowIssue(CallbackData, prefix="i"):
    date: str
    all: bool = True


class TopicAction(CallbackData, prefix="t"):
    # "tg" (follow/unfollow a catalogue topic), "rm" (remove a free word), "clear" (asks
    # to confirm), "clearok" (clears) or "keep" (cancels the clear)
    op: str
    key: str = ""  # tg: the topic's slug; rm: crc32 of the word as stored (see topic_key)


class SettingAction(CallbackData, prefix="cfg"):
    key: str  # lang | time | summary | previews | silent | pause | quiet | thread
    value: str


class ChannelAction(CallbackData, prefix="ch"):
    chat: int  # a reader's channel, managed from the owner's private chat
    # "sum" (summary mode = key), "rm" (remove the topic whose key is key),
    # "silent" (key "1" or "0"), "del" (unsubscribe the channel)
    op: str
    key: str = ""


class PublishAction(CallbackData, prefix="pub"):
    token: str
    ok: bool


def topic_key(topic: str) -> str:
    """A short, stable fingerprint of a topic for ✕ buttons."""
    return format(zlib.crc32(topic.encode("utf-8")), "08x")


class TokenCache(Generic[V]):
    """A bounded, expiring map from random tokens to values."""

    def __init__(
        self,
        ttl: float = 6 * 3600,
        size: int = 2000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def put(self, value: V) -> str:
        token = secrets.token_urlsafe(6)
        self._items[token] = (self.clock() + self.ttl, value)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return token

    def get(self, token: str) -> V | None:
        item = self._items.get(token)
        if item is None:
            return None
        if item[0] < self.clock():
            del self._items[token]
            return None
        return item[1]

    def pop(self, token: str) -> V | None:
        value = self.get(token)
        self._items.pop(token, None)
        return value
