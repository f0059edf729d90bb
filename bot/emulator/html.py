"""Telegram's HTML parse mode, as a pure function.

This follows tdlib's ``parse_html`` closely: the same tag whitelist, the same
four named character references plus numeric ones (anything else after ``&`` is
kept literally), the same error wording and the same *byte* offsets into the
UTF-8 source. Entity offsets and lengths are in UTF-16 code units, like the
``MessageEntity`` objects Telegram returns.

No aiohttp here: the render tests import this module on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ALLOWED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}
_NAMED_REFS = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_SPACE = frozenset(b" \t\r\n\0\v")
_NAME_TOKEN = re.compile(rb"[A-Za-z0-9.\-]*")
_SPECIAL = re.compile(rb"[<&]")
_URL_SCHEMES = ("http://", "https://", "tg://", "ton://", "ftp://")


class HtmlParseError(ValueError):
    """Telegram refused the markup; ``description`` is its wording after "Bad Request: "."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.description = f"can't parse entities: {reason}"
        super().__init__(self.description)


@dataclass(frozen=True, slots=True)
class ParsedText:
    plain: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _Open:
    tag: str
    argument: str
    utf16_offset: int
    out_index: int
    expandable: bool = False


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _decode_reference(src: bytes, pos: int) -> tuple[str, int] | None:
    """Decode ``&...;`` at ``pos``; return (character, position after ';') or None."""
    end = src.find(b";", pos + 1, pos + 12)
    if end < 0:
        return None
    body = src[pos + 1 : end]
    if body in _NAMED_REFS:
        return _NAMED_REFS[body], end + 1
    if not body.startswith(b"#") or len(body) < 2:
        return None
    digits, base = (body[2:], 16) if body[1:2] in (b"x", b"X") else (body[1:], 10)
    try:
        code = int(digits, base) if digits.isalnum() else -1
    except ValueError:
        return None
    if code <= 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), end + 1


def _url_of(argument: str, inner: str) -> str | None:
    url = (argument or inner).strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    if url.lower().startswith(_URL_SCHEMES):
        return url
    if "://" in url or url.startswith(("javascript:", "data:")):
        return None
    return "http://" + url if "." in url else None


class _Parser:
    def __init__(self, text: str) -> None:
        self.src = text.encode("utf-8") + b"\0"
        self.end = len(self.src) - 1
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.utf16 += _utf16_len(chunk)

    def run(self) -> ParsedText:
        src, i = self.src, 0
        while i < self.end:
            match = _SPECIAL.search(src, i, self.end)
            stop = match.start() if match else self.end
            if stop > i:
                self.emit(src[i:stop].decode("utf-8", errors="replace"))
            i = stop
            if i >= self.end:
                break
            if src[i] == ord("&"):
                decoded = _decode_reference(src, i)
                if decoded is None:
                    self.emit("&")
                    i += 1
                else:
                    self.emit(decoded[0])
                    i = decoded[1]
            elif src[i + 1] == ord("/"):
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    def start_tag(self, begin: int) -> int:
        src, i = self.src, begin + 1
        while src[i] not in _SPACE and src[i] != ord(">"):
            i += 1
        if i >= self.end:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        tag = src[begin + 1 : i].decode("utf-8", errors="replace").lower()
        if tag not in ALLOWED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument, expandable = "", False
        while src[i] != ord(">"):
            while i < self.end and src[i] in _SPACE:
                i += 1
            if src[i] == ord(">"):
                break
            name_begin = i
            while src[i] not in _SPACE and src[i] not in b"=>":
                i += 1
            name = src[name_begin:i].decode("utf-8", errors="replace").lower()
            if not name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                )
            while i < self.end and src[i] in _SPACE:
                i += 1
            if src[i] != ord("="):
                if tag == "blockquote" and name == "expandable":
                    expandable = True
                    continue
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {begin}'
                )
            i += 1
            while i < self.end and src[i] in _SPACE:
                i += 1
            if i >= self.end:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            value, i = self.attribute_value(i)
            if i >= self.end:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            if tag == "a" and name == "href":
                argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag == "tg-emoji" and name == "emoji-id":
                argument = value
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        self.stack.append(_Open(tag, argument, self.utf16, len(self.out), expandable))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        src = self.src
        quote = src[i]
        if quote not in b"'\"":
            match = _NAME_TOKEN.match(src, i)
            assert match is not None
            j = match.end()
            if src[j] not in _SPACE and src[j] != ord(">"):
                raise HtmlParseError(f"Unexpected end of name token at byte offset {i}")
            return src[i:j].decode("ascii").lower(), j
        i += 1
        parts: list[str] = []
        while i < self.end and src[i] != quote:
            if src[i] == ord("&") and (decoded := _decode_reference(src, i)) is not None:
                parts.append(decoded[0])
                i = decoded[1]
                continue
            j = i + 1
            while j < self.end and src[j] != quote and src[j] != ord("&"):
                j += 1
            parts.append(src[i:j].decode("utf-8", errors="replace"))
            i = j
        if src[i] == quote:
            i += 1
        return "".join(parts), i

    def end_tag(self, begin: int) -> int:
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        src, i = self.src, begin + 2
        while src[i] not in _SPACE and src[i] != ord(">"):
            i += 1
        name = src[begin + 2 : i].decode("utf-8", errors="replace").lower()
        while i < self.end and src[i] in _SPACE:
            i += 1
        if src[i] != ord(">"):
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        opened = self.stack[-1]
        if name and name != opened.tag:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{opened.tag}>", '
                f'found "</{name}>"'
            )
        self.stack.pop()
        if self.utf16 > opened.utf16_offset:
            self.close(opened)
        return i + 1

    def close(self, opened: _Open) -> None:
        offset, length = opened.utf16_offset, self.utf16 - opened.utf16_offset
        entity: dict[str, Any] = {"offset": offset, "length": length}
        if opened.tag == "a":
            url = _url_of(opened.argument, "".join(self.out[opened.out_index :]))
            if url is None:
                return
            entity.update(type="text_link", url=url)
        elif opened.tag == "tg-emoji":
            if not opened.argument.isdigit():
                return
            entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
        elif opened.tag == "blockquote":
            entity["type"] = "expandable_blockquote" if opened.expandable else "blockquote"
        elif opened.tag == "pre":
            entity["type"] = "pre"
            last = self.entities[-1] if self.entities else None
            if (
                last is not None
                and last["type"] == "code"
                and (last["offset"], last["length"]) == (offset, length)
            ):
                self.entities.pop()
                if "language" in last:
                    entity["language"] = last["language"]
        else:
            entity["type"] = _SIMPLE_TYPES[opened.tag]
            if opened.tag == "code" and opened.argument:
                entity["language"] = opened.argument
        self.entities.append(entity)


def parse_html(text: str) -> ParsedText:
    """Parse Telegram HTML into plain text and MessageEntity dicts, or raise HtmlParseError."""
    parsed = _Parser(text).run()
    for entity in parsed.entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return parsed
