"""Real file-system faults for database tests: a tiny tmpfs of our own (tests run as
root, so chmod cannot make a file read-only for them; a read-only remount can), filled
to the last byte for "disk full", and a database file with some pages overwritten.

``mount`` needs root (or CAP_SYS_ADMIN): where it is refused the tests that need it
skip with that reason rather than pass silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.store.chats import upsert_chat
from bot.store.db import open_db, transaction

PAGE = 4096


class SmallFs:
    """A tmpfs mounted at ``path``: remount it read-only, or fill it up."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def remount(self, *, read_only: bool) -> None:
        flag = "ro" if read_only else "rw"
        subprocess.run(["mount", "-o", f"remount,{flag}", str(self.path)], check=True)

    def fill(self) -> Path:
        """Write a file until the file system is full; returns it (delete it to free)."""
        filler = self.path / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (65536, 4096, 512, 1):  # then the last partial blocks
                with contextlib.suppress(OSError):
                    while os.write(fd, b"\0" * size):
                        pass
        finally:
            os.close(fd)
        return filler


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Callable[[str], SmallFs]]:
    """``small_fs("4m")``: a fresh tmpfs of that size under tmp_path, unmounted after."""
    mounted: list[Path] = []

    def mount(size: str) -> SmallFs:
        where = tmp_path / f"fs{len(mounted)}"
        where.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounted.append(where)
        return SmallFs(where)

    yield mount
    for where in reversed(mounted):
        subprocess.run(["umount", "-l", str(where)], check=False)


async def _populate(path: Path, chats: int) -> None:
    async with open_db(path) as conn, transaction(conn):
        for chat_id in range(1, chats + 1):
            await upsert_chat(conn, chat_id, "private", f"reader {chat_id} " + "名" * 40, "zh")


def populated_db(path: Path, chats: int = 2000) -> Path:
    """A migrated database holding ``chats`` subscribers (many pages), checkpointed and
    closed (no -wal left). Runs its own event loop on a thread, so that async tests
    may call it too."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _populate(path, chats)).result()
    return path


def corrupt(path: Path, pages: int | None = None) -> None:
    """Overwrite pages with garbage, as a bad disk would; page 1 (the header and schema)
    is left alone. ``pages=None``: every other page, so no table can be read whatever the
    schema's layout; else that many pages two thirds into the file."""
    size = path.stat().st_size
    count = size // PAGE
    assert count > 8, f"{path} is too small to corrupt usefully ({count} pages)"
    start = 1 if pages is None else count * 2 // 3
    fd = os.open(path, os.O_WRONLY)
    try:
        for page in range(start, count if pages is None else start + pages):
            os.pwrite(fd, bytes([0xA5, 0x5A]) * (PAGE // 2), page * PAGE)
        os.fsync(fd)
    finally:
        os.close(fd)


def corrupt_quietly(path: Path) -> int:
    """Overwrite one page that everyday reads (``SELECT count(*)``) do not touch but
    ``quick_check`` does: a damage that goes unnoticed until it is checked. Returns the
    page number (found by trying pages on a scratch copy)."""
    count = path.stat().st_size // PAGE
    scratch = path.with_name(path.name + ".scratch")
    garbage = bytes([0xA5, 0x5A]) * (PAGE // 2)
    try:
        for page in range(2, count + 1):
            scratch.write_bytes(path.read_bytes())
            fd = os.open(scratch, os.O_WRONLY)
            os.pwrite(fd, garbage, (page - 1) * PAGE)
            os.close(fd)
            conn = sqlite3.connect(scratch)
            try:
                conn.execute("SELECT count(*) FROM chats").fetchone()
                damaged = conn.execute("PRAGMA quick_check").fetchone() != ("ok",)
            except sqlite3.DatabaseError:
                continue
            finally:
                conn.close()
            if damaged:  # the same page of the file itself, in place (same inode)
                fd = os.open(path, os.O_WRONLY)
                try:
                    os.pwrite(fd, garbage, (page - 1) * PAGE)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                return page
    finally:
        scratch.unlink(missing_ok=True)
    raise AssertionError(f"no page of {path} damages it quietly")
