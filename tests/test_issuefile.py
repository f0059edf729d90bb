"""Reading issue files: every unusable input is one sentence naming the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.issuefile import MAX_BYTES, IssueFileError, read_issue_text

ISSUE = (
    "# 嵌入式AI简报 (2022-01-01)\n\n## 论文\n\n- [量化 | 来源](https://a.example)\n摘要：低比特。\n"
)


def _error(path: Path) -> str:
    with pytest.raises(IssueFileError) as info:
        read_issue_text(path)
    message = str(info.value)
    assert str(path) in message
    assert message.endswith(".") and "\n" not in message
    return message


def test_utf8_is_read(tmp_path: Path) -> None:
    path = tmp_path / "issue.md"
    path.write_text(ISSUE, encoding="utf-8")
    assert read_issue_text(path) == ISSUE


def test_utf8_with_bom_drops_the_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf" + ISSUE.encode("utf-8"))
    assert read_issue_text(path) == ISSUE


def test_gb18030_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "gb.md"
    path.write_bytes(ISSUE.encode("gb18030"))
    assert read_issue_text(path) == ISSUE


def test_missing_file(tmp_path: Path) -> None:
    assert "does not exist" in _error(tmp_path / "nope.md")


def test_directory(tmp_path: Path) -> None:
    assert "is a directory" in _error(tmp_path)


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n"])
def test_empty_or_blank_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.md"
    path.write_bytes(content)
    assert "is empty" in _error(path)


def test_file_over_five_megabytes(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    with open(path, "wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    assert "5 MB" in _error(path)


def test_binary_data(tmp_path: Path) -> None:
    path = tmp_path / "image.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert "binary" in _error(path)


def test_undecodable_text(tmp_path: Path) -> None:
    path = tmp_path / "latin.md"
    path.write_bytes("Résumé ÿ façade ".encode("latin-1") * 20 + b"\xff\xff")
    assert "UTF-8 or GB18030" in _error(path)


def test_bom_followed_by_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "badbom.md"
    path.write_bytes(b"\xef\xbb\xbf# title \xff\xfe\n")
    assert "byte order mark" in _error(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "pipe.md"
    os.mkfifo(path)
    assert "not a regular file" in _error(path)
