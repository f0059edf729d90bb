"""Helpers of the HTML parser: character references, link URLs, entity offsets and order."""

from __future__ import annotations

import re
from typing import Any

NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ANY_SPACE = re.compile(r"\s")
_URL_SCHEMES = ("http://", "https://", "tg://", "ton://", "ftp://")


def decode_reference(src: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&...;`` at ``pos``; return (character, position after ';') or None."""
    end = src.find(";", pos + 1, pos + 12)
    if end < 0:
        return None
    body = src[pos + 1 : end]
    named = NAMED_REFS.get(body)
    if named is not None:
        return named, end + 1
    if not body.startswith("#") or len(body) < 2:
        return None
    digits, base = (body[2:], 16) if body[1] in "xX" else (body[1:], 10)
    try:
        code = int(digits, base) if digits.isascii() and digits.isalnum() else -1
    except ValueError:
        return None
    if code <= 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), end + 1


def url_of(argument: str, inner: str) -> str | None:
    url = (argument or inner).strip()
    if not url or _ANY_SPACE.search(url):
        return None
    if url.lower().startswith(_URL_SCHEMES):
        return url
    if "://" in url or url.startswith(("javascript:", "data:")):
        return None
    return "http://" + url if "." in url else None


def to_utf16(plain: str, entities: list[dict[str, Any]]) -> None:
    """Turn code-point offsets into UTF-16 ones (astral characters count twice)."""
    extra = [0] * (len(plain) + 1)
    count = 0
    for index, char in enumerate(plain):
        extra[index] = count
        count += char > "\uffff"
    extra[len(plain)] = count
    for entity in entities:
        start, stop = entity["offset"], entity["offset"] + entity["length"]
        entity["offset"] = start + extra[start]
        entity["length"] = stop + extra[stop] - entity["offset"]


# tdlib's order for entities over the same range (MessageEntity::get_type_priority).
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}


def entity_order(entity: dict[str, Any]) -> tuple[int, int, int]:
    return entity["offset"], -entity["length"], _PRIORITY.get(entity["type"], 50)
