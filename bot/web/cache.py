"""Rendered pages kept until the archive changes: issue and search pages are read far more
often than issues are published, and rendering a 100-entry issue costs milliseconds.
Pages are kept encoded (UTF-8 bytes), ready to send."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

MAX_PAGES = 256
MAX_BYTES = 32 * 1024 * 1024


class PageCache:
    """Least recently used pages (text), bounded by count and size; keys include the
    archive version (``bot.store.issues.archive_version``), so a publish makes every
    older page unreachable and it ages out."""

    def __init__(self, max_pages: int = MAX_PAGES, max_bytes: int = MAX_BYTES) -> None:
        self.max_pages, self.max_bytes = max_pages, max_bytes
        self._pages: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        page = self._pages.get(key)
        if page is None:
            self.misses += 1
            return None
        self._pages.move_to_end(key)
        self.hits += 1
        return page

    def put(self, key: Hashable, page: bytes) -> None:
        if len(page) > self.max_bytes // 8:
            return
        old = self._pages.pop(key, None)
        if old is not None:
            self._size -= len(old)
        self._pages[key] = page
        self._size += len(page)
        while len(self._pages) > self.max_pages or self._size > self.max_bytes:
            _, dropped = self._pages.popitem(last=False)
            self._size -= len(dropped)
