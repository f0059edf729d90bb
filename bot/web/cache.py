"""Rendered pages kept until the archive changes: issue and search pages are read far more
often than issues are published, and rendering a 100-entry issue costs milliseconds.
Pages are kept encoded, ready to send, with their ETag (a browser or feed reader that
has the page gets a 304 without it being sent again)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

MAX_PAGES = 256
MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Cached:
    body: bytes
    etag: str  # quoted, as in the header

    @classmethod
    def of(cls, body: bytes) -> Cached:
        return cls(body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"')


class PageCache:
    """Least recently used pages, bounded by count and size; keys include the archive
    version (``bot.web.version``), so a publish makes every older page unreachable and it
    ages out."""

    def __init__(self, max_pages: int = MAX_PAGES, max_bytes: int = MAX_BYTES) -> None:
        self.max_pages, self.max_bytes = max_pages, max_bytes
        self._pages: OrderedDict[Hashable, Cached] = OrderedDict()
        self._size = 0
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Cached | None:
        page = self._pages.get(key)
        if page is None:
            self.misses += 1
            return None
        self._pages.move_to_end(key)
        self.hits += 1
        return page

    def put(self, key: Hashable, body: bytes) -> Cached:
        page = Cached.of(body)
        if len(body) > self.max_bytes // 8 or self.max_pages < 1:
            return page
        old = self._pages.pop(key, None)
        if old is not None:
            self._size -= len(old.body)
        self._pages[key] = page
        self._size += len(body)
        while len(self._pages) > self.max_pages or self._size > self.max_bytes:
            _, dropped = self._pages.popitem(last=False)
            self._size -= len(dropped.body)
        return page
