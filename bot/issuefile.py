"""Read an issue file from disk, or say in one sentence why it cannot be used.

Issues are ~30 KB of UTF-8 Markdown; Chinese editors sometimes save UTF-8 with a
BOM or GB18030, so those are tried too. Anything else (missing, a directory,
empty, binary, huge, undecodable) raises ``IssueFileError``.
"""

from __future__ import annotations

import stat
from pathlib import Path

MAX_BYTES = 5 * 1024 * 1024
_BINARY_CONTROLS = frozenset(range(0, 32)) - {9, 10, 12, 13}


class IssueFileError(Exception):
    """One sentence naming the file and why it cannot be read as an issue."""


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise IssueFileError(
                f"{path} starts with a UTF-8 byte order mark but is not valid UTF-8."
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise IssueFileError(f"{path} is not text in UTF-8 or GB18030 encoding.") from None


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    sample = data[:8192]
    controls = sum(1 for byte in sample if byte in _BINARY_CONTROLS)
    return controls > max(8, len(sample) // 100)


def read_issue_text(path: Path) -> str:
    """The text of an issue file; raises IssueFileError with one clear sentence."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise IssueFileError(f"{path} does not exist.") from None
    except NotADirectoryError:
        raise IssueFileError(f"{path} does not exist (a parent is not a directory).") from None
    except PermissionError:
        raise IssueFileError(f"{path} cannot be read: permission denied.") from None
    except OSError as exc:
        raise IssueFileError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise IssueFileError(f"{path} is a directory, not an issue file.")
    if not stat.S_ISREG(info.st_mode):
        raise IssueFileError(f"{path} is not a regular file.")
    if info.st_size > MAX_BYTES:
        raise IssueFileError(
            f"{path} is {info.st_size / 1024 / 1024:.1f} MB, over the 5 MB limit for an issue."
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except PermissionError:
        raise IssueFileError(f"{path} cannot be read: permission denied.") from None
    except OSError as exc:
        raise IssueFileError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    if len(data) > MAX_BYTES:
        raise IssueFileError(f"{path} is over the 5 MB limit for an issue.")
    if not data.strip():
        raise IssueFileError(f"{path} is empty.")
    if _looks_binary(data):
        raise IssueFileError(f"{path} looks like binary data, not a Markdown issue.")
    text = _decode(path, data)
    if not text.strip(" \t\r\n\ufeff"):
        raise IssueFileError(f"{path} is empty.")
    return text
