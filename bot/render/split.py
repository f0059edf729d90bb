"""Packing rendered blocks into Telegram messages without breaking any of them.

A *block* is a finished piece of HTML (one entry, or one piece of an entry that
was too long alone). The packer fills parts greedily in order and only ever cuts
between blocks, so every part is made of whole, valid HTML fragments. It keeps
section headings with the entry below them and repeats the heading (marked
"continued") when a section runs on into the next part.

Sizes are counted the way Telegram counts them: code points of the text after
entity parsing, and the number of formatting entities (one per tag we emit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.render.text import measure

MAX_CHARS = 4096
MAX_ENTITIES = 100
PARAGRAPH = "\n\n"
LINE = "\n"


class RenderError(RuntimeError):
    """A block cannot fit in an empty part (a bug in the caller's budget)."""


@dataclass(frozen=True, slots=True)
class Limits:
    chars: int = MAX_CHARS
    entities: int = MAX_ENTITIES


@dataclass(frozen=True, slots=True)
class Block:
    html: str
    plain_len: int
    entities: int
    keys: tuple[str, ...] = ()
    continues: bool = False  # a later piece of an entry cut in pieces

    @classmethod
    def of(cls, html: str, keys: tuple[str, ...] = (), *, continues: bool = False) -> Block:
        size = measure(html)
        return cls(html, size.plain_len, size.entity_count, keys, continues)


@dataclass(slots=True)
class Draft:
    """The body of one part as it is being filled: (glue before it, block) pairs."""

    items: list[tuple[str, Block]] = field(default_factory=list)
    chars: int = 0
    entities: int = 0

    @property
    def html(self) -> str:
        return "".join(
            (glue if i else "") + block.html for i, (glue, block) in enumerate(self.items)
        )

    @property
    def keys(self) -> tuple[str, ...]:
        """Keys of the entries in this part, in order; an entry cut in pieces counts once
        per part (a piece continuing in the same part adds nothing)."""
        keys: list[str] = []
        for i, (_, block) in enumerate(self.items):
            if not (block.continues and i and self.items[i - 1][1].keys == block.keys):
                keys.extend(block.keys)
        return tuple(keys)


Heading = Callable[[str, bool], Block]


class Packer:
    """Greedy, order-keeping packing of blocks into part bodies.

    ``reserve`` is what every part spends outside its body (the header with the
    widest part marker and the blank line after it); ``heading(name, continued)``
    renders a section heading; ``glue`` separates consecutive entries.
    """

    def __init__(self, limits: Limits, reserve: Block, heading: Heading, glue: str) -> None:
        self.max_chars = limits.chars - reserve.plain_len
        self.max_entities = limits.entities - reserve.entities
        if self.max_chars < 200 or self.max_entities < 8:
            raise RenderError("the part header leaves no room for entries")
        self._heading = heading
        self._glue = glue
        self._section = ""
        self._draft = Draft()
        self.parts: list[Draft] = []

    def _plan(self, block: Block, section: str, fresh: bool) -> list[tuple[str, Block]]:
        if section and (fresh or section != self._section):
            heading = self._heading(section, fresh and section == self._section)
            return [(PARAGRAPH, heading), (LINE, block)]
        return [(self._glue, block)]

    @staticmethod
    def _cost(plan: list[tuple[str, Block]], fresh: bool) -> tuple[int, int]:
        glue = sum(len(g) for i, (g, _) in enumerate(plan) if i or not fresh)
        return glue + sum(b.plain_len for _, b in plan), sum(b.entities for _, b in plan)

    def room_alone(self, section: str) -> tuple[int, int]:
        """Characters and entities a block has in a fresh part under a continued heading."""
        chars, entities = self._cost(self._plan(Block("", 0, 0), section, True), True)
        return self.max_chars - chars, self.max_entities - entities

    def room_here(self, section: str) -> tuple[int, int]:
        """Characters and entities a block has if appended to the part being filled."""
        if not self._draft.items:
            return self.room_alone(section)
        chars, entities = self._cost(self._plan(Block("", 0, 0), section, False), False)
        return (
            self.max_chars - self._draft.chars - chars,
            self.max_entities - self._draft.entities - entities,
        )

    def fits_alone(self, block: Block, section: str) -> bool:
        chars, entities = self._cost(self._plan(block, section, True), True)
        return chars <= self.max_chars and entities <= self.max_entities

    def add(self, block: Block, section: str) -> None:
        """Append ``block`` (of ``section``), starting a new part when it does not fit."""
        if self._draft.items:
            plan = self._plan(block, section, False)
            chars, entities = self._cost(plan, False)
            if (
                self._draft.chars + chars <= self.max_chars
                and self._draft.entities + entities <= self.max_entities
            ):
                self._place(plan, chars, entities, section)
                return
            self.parts.append(self._draft)
            self._draft = Draft()
        plan = self._plan(block, section, True)
        chars, entities = self._cost(plan, True)
        if chars > self.max_chars or entities > self.max_entities:
            raise RenderError(f"a block of {block.plain_len} characters does not fit a message")
        self._place(plan, chars, entities, section)

    def add_tail(self, block: Block) -> bool:
        """Append ``block`` (a footer) to the last part if it fits there; say whether it did."""
        if not self._draft.items:
            return False
        chars, entities = self._cost([(PARAGRAPH, block)], False)
        if (
            self._draft.chars + chars > self.max_chars
            or self._draft.entities + entities > self.max_entities
        ):
            return False
        self._place([(PARAGRAPH, block)], chars, entities, self._section)
        return True

    def _place(
        self, plan: list[tuple[str, Block]], chars: int, entities: int, section: str
    ) -> None:
        self._draft.items.extend(plan)
        self._draft.chars += chars
        self._draft.entities += entities
        self._section = section

    def finish(self) -> list[Draft]:
        if self._draft.items:
            self.parts.append(self._draft)
            self._draft = Draft()
        return self.parts
