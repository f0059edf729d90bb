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

from bot.emulator.html_refs import NAMED_REFS, decode_reference, entity_order, to_utf16, url_of

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

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
_SPACE = frozenset(" \t\r\n\0\v")
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")
_SPECIAL = re.compile(r"[<&]")
_WORD = re.compile(r"[^ \t\r\n\0\v>]*")  # a tag name: up to a space or '>'
_ATTRIBUTE = re.compile(r"[^ \t\r\n\0\v=>]*")
_SPACES = re.compile(r"[ \t\r\n\v]*")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # two UTF-16 code units each
# Fast cases: 1 a plain start tag, 2 a simple link, 3 an end tag, 4 a named reference;
# anything else ('<' or '&' alone) goes through the general scanner.
_TOKEN = re.compile(
    r'<([a-z\-]{1,10})>|<a href="([^"&<>\s]*)">|</([a-z\-]{1,10})>|&(lt|gt|amp|quot);|[<&]'
)
_FAST_TAGS = frozenset(_SIMPLE_TYPES) - {"span"}
# Tags whose entity needs nothing but its type (pre may merge with an inner code).
_PLAIN_ENTITIES = {tag: kind for tag, kind in _SIMPLE_TYPES.items() if tag != "pre"}


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
    offset: int  # in code points of the plain text
    out_index: int
    pos: int  # in characters of the source, for error messages
    expandable: bool = False


class _Parser:
    """tdlib's scanner, over characters; byte offsets are computed only for errors."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.src = text + "\0"
        self.end = len(text)
        self.out: list[str] = []
        self.length = 0  # code points emitted so far
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []
        self.tokens = _TOKEN  # a test swaps in a pattern that sends everything to general()

    def byte(self, pos: int) -> int:
        return len(self.text[:pos].encode("utf-8"))

    def fail(self, message: str, pos: int | None = None) -> HtmlParseError:
        suffix = "" if pos is None else f" at byte offset {self.byte(pos)}"
        return HtmlParseError(message + suffix)

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.length += len(chunk)

    def run(self) -> ParsedText:
        src, i, end = self.src, 0, self.end
        out, stack, entities = self.out, self.stack, self.entities
        while i < end:
            for token in self.tokens.finditer(src, i, end):
                begin, stop = token.span()
                if begin > i:
                    out.append(src[i:begin])
                    self.length += begin - i
                i = stop
                tag, href, closing, ref = token.groups()
                if tag in _FAST_TAGS:
                    stack.append(_Open(tag, "", self.length, len(out), begin))
                elif href is not None:
                    stack.append(_Open("a", href, self.length, len(out), begin))
                elif closing is not None and stack and stack[-1].tag == closing:
                    opened = stack.pop()
                    if self.length <= opened.offset:
                        continue
                    simple = _PLAIN_ENTITIES.get(closing)
                    if simple is None or opened.argument:
                        self.close(opened)
                    else:
                        length = self.length - opened.offset
                        entities.append({"offset": opened.offset, "length": length, "type": simple})
                elif ref is not None:
                    out.append(NAMED_REFS[ref])
                    self.length += 1
                else:
                    i = self.general(begin)
                    break  # the general scanner moved on: search again from there
            else:
                if i < end:
                    self.emit(src[i:end])
                break
        if stack:
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
        plain = "".join(out)
        if _ASTRAL.search(plain):
            to_utf16(plain, self.entities)
        self.entities.sort(key=entity_order)
        return ParsedText(plain, self.entities)

    def general(self, i: int) -> int:
        """Anything the token pattern's fast cases do not cover, the way tdlib scans it."""
        src = self.src
        if src[i] == "&":
            decoded = decode_reference(src, i)
            if decoded is None:
                self.emit("&")
                return i + 1
            self.emit(decoded[0])
            return decoded[1]
        if src[i + 1] == "/":
            return self.end_tag(i)
        return self.start_tag(i)

    def open(self, tag: str, argument: str, pos: int, expandable: bool = False) -> None:
        self.stack.append(_Open(tag, argument, self.length, len(self.out), pos, expandable))

    def start_tag(self, begin: int) -> int:
        src = self.src
        i = _match_end(_WORD, src, begin + 1)
        if i >= self.end:
            raise self.fail("Unclosed start tag", begin)
        tag = src[begin + 1 : i].lower()
        if tag not in ALLOWED_TAGS:
            raise self.fail(f'Unsupported start tag "{tag}"', begin)
        argument, expandable = "", False
        while src[i] != ">":
            i = _match_end(_SPACES, src, i)
            if src[i] == ">":
                break
            name_begin = i
            i = _match_end(_ATTRIBUTE, src, i)
            name = src[name_begin:i].lower()
            if not name:
                raise self.fail(f'Empty attribute name in the tag "{tag}"', begin)
            i = _match_end(_SPACES, src, i)
            if src[i] != "=":
                if tag == "blockquote" and name == "expandable":
                    expandable = True
                    continue
                raise self.fail(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}"', begin
                )
            i = _match_end(_SPACES, src, i + 1)
            if i >= self.end:
                raise self.fail(f'Unclosed start tag "{tag}"', begin)
            value, i = self.attribute_value(i)
            if i >= self.end:
                raise self.fail("Unclosed start tag", begin)
            if tag == "a" and name == "href":
                argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag == "tg-emoji" and name == "emoji-id":
                argument = value
        if tag == "span" and argument != "spoiler":
            raise self.fail('Tag "span" must have class "tg-spoiler"', begin)
        self.open(tag, argument, begin, expandable)
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        src = self.src
        quote = src[i]
        if quote not in "'\"":
            j = _match_end(_NAME_TOKEN, src, i)
            if src[j] not in _SPACE and src[j] != ">":
                raise self.fail("Unexpected end of name token", i)
            return src[i:j].lower(), j
        i += 1
        close = src.find(quote, i, self.end)
        stop = self.end if close < 0 else close
        after = stop + (close >= 0)
        if src.find("&", i, stop) < 0:
            return src[i:stop], after
        parts: list[str] = []
        while i < stop:
            if src[i] == "&" and (decoded := decode_reference(src, i)) is not None:
                parts.append(decoded[0])
                i = decoded[1]
                continue
            j = src.find("&", i + 1, stop)
            j = stop if j < 0 else j
            parts.append(src[i:j])
            i = j
        return "".join(parts), after

    def end_tag(self, begin: int) -> int:
        if not self.stack:
            raise self.fail("Unexpected end tag", begin)
        src = self.src
        i = _match_end(_WORD, src, begin + 2)
        name = src[begin + 2 : i].lower()
        i = _match_end(_SPACES, src, i)
        if src[i] != ">":
            raise self.fail("Unclosed end tag", begin)
        opened = self.stack[-1]
        if name and name != opened.tag:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self.byte(begin)}, "
                f'expected "</{opened.tag}>", found "</{name}>"'
            )
        self.stack.pop()
        if self.length > opened.offset:
            self.close(opened)
        return i + 1

    def close(self, opened: _Open) -> None:
        offset, length = opened.offset, self.length - opened.offset
        entity: dict[str, Any] = {"offset": offset, "length": length}
        if opened.tag == "a":
            url = url_of(opened.argument, "".join(self.out[opened.out_index :]))
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


def _match_end(pattern: re.Pattern[str], src: str, pos: int) -> int:
    match = pattern.match(src, pos)
    return match.end() if match else pos


def parse_html(text: str) -> ParsedText:
    """Parse Telegram HTML into plain text and MessageEntity dicts, or raise HtmlParseError."""
    parsed = _Parser(text).run()
    for entity in parsed.entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return parsed
