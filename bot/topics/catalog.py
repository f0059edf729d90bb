"""The topic catalogue: load and validate ``catalog.toml``, resolve what a reader types.

Pure: reads only the packaged TOML (``importlib.resources``) and uses the search
normalization, so ``/topic 量化``, ``/topic Quantization``, ``/topic ＩＮＴ８`` and
``/topic 量化`` typed in Traditional script all resolve to the same topic.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from bot.text.normalize import normalize

CATALOG_FILE = "catalog.toml"

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEY_NOISE = re.compile(r"[\s\-_·.]+")
_TOPIC_KEYS = {"slug", "zh", "en", "aliases", "terms", "weak", "negative", "min_mentions"}


class CatalogError(ValueError):
    """The catalogue cannot be used; the message says where and why in one sentence."""


@dataclass(frozen=True, slots=True)
class Topic:
    slug: str
    zh: str
    en: str
    aliases: tuple[str, ...]
    terms: tuple[str, ...]
    negative: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    min_mentions: int = 1

    def names(self) -> tuple[str, ...]:
        """Everything a reader may type for this topic: slug, names and aliases."""
        return (self.slug, self.zh, self.en, *self.aliases)


@dataclass(frozen=True, slots=True)
class Catalog:
    topics: tuple[Topic, ...]
    version: str
    _by_key: dict[str, Topic] = field(repr=False, compare=False)

    def get(self, slug: str) -> Topic | None:
        for topic in self.topics:
            if topic.slug == slug:
                return topic
        return None

    def resolve(self, word: str) -> Topic | None:
        """The topic whose slug, name or alias is ``word`` (normalized), else None."""
        return self._by_key.get(alias_key(word))

    def suggest(self, word: str, n: int = 3) -> list[Topic]:
        """Up to ``n`` topics closest to an unknown ``word``, best first."""
        key = alias_key(word)
        if not key:
            return []
        scored: list[tuple[float, int, Topic]] = []
        for index, topic in enumerate(self.topics):
            best = max(_similarity(key, alias_key(name)) for name in topic.names())
            if best >= 0.4:
                scored.append((best, -index, topic))
        scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [topic for _, _, topic in scored[:n]]


def alias_key(word: str) -> str:
    """How aliases are compared: normalized, without spaces, hyphens or a leading #."""
    return _KEY_NOISE.sub("", normalize(word.strip().lstrip("#＃")))


def _similarity(key: str, name: str) -> float:
    if not name:
        return 0.0
    if key == name:
        return 1.0
    if key in name or name in key:
        return 0.9 * min(len(key), len(name)) / max(len(key), len(name)) + 0.1
    ratio = difflib.SequenceMatcher(None, key, name).ratio()
    shared = set(key) & set(name)
    if any(not char.isascii() for char in shared):
        # Chinese: one shared character already says a lot (量 ~ 量化, 剪 ~ 剪枝)
        ratio = max(ratio, len(shared) / max(len(set(key)), len(set(name))) + 0.2)
    return ratio


def _strings(value: Any, where: str, what: str, *, required: bool) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CatalogError(f"{where}: {what} must be a list of strings.")
    if required and not value:
        raise CatalogError(f"{where}: {what} must not be empty.")
    for item in value:
        if not item.strip():
            raise CatalogError(f"{where}: {what} holds an empty string.")
    return tuple(value)


def _topic(raw: Any, index: int) -> Topic:
    if not isinstance(raw, dict):
        raise CatalogError(f"topic #{index + 1} is not a table.")
    slug = raw.get("slug")
    where = f"topic #{index + 1}" + (f" ({slug!r})" if isinstance(slug, str) else "")
    unknown = sorted(set(raw) - _TOPIC_KEYS)
    if unknown:
        raise CatalogError(f"{where} has unknown key(s): {', '.join(unknown)}.")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise CatalogError(f"{where}: slug must be lowercase ascii words joined by '-'.")
    for name in ("zh", "en"):
        value = raw.get(name)
        if not isinstance(value, str) or not value.strip():
            raise CatalogError(f"{where}: {name} must be a non-empty string.")
    min_mentions = raw.get("min_mentions", 1)
    if not isinstance(min_mentions, int) or isinstance(min_mentions, bool) or min_mentions < 1:
        raise CatalogError(f"{where}: min_mentions must be a whole number of at least 1.")
    return Topic(
        slug=slug,
        zh=raw["zh"],
        en=raw["en"],
        aliases=_strings(raw.get("aliases"), where, "aliases", required=False),
        terms=_strings(raw.get("terms"), where, "terms", required=True),
        negative=_strings(raw.get("negative"), where, "negative", required=False),
        weak=_strings(raw.get("weak"), where, "weak", required=False),
        min_mentions=min_mentions,
    )


def parse_catalog(text: str, source: str = CATALOG_FILE) -> Catalog:
    """A validated catalogue from TOML text; raises CatalogError with one clear sentence."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source} is not valid TOML: {exc}.") from None
    raw_topics = data.get("topic")
    if not isinstance(raw_topics, list) or not raw_topics:
        raise CatalogError(f"{source} has no [[topic]] tables.")
    topics = tuple(_topic(raw, index) for index, raw in enumerate(raw_topics))
    by_key: dict[str, Topic] = {}
    slugs: set[str] = set()
    for topic in topics:
        if topic.slug in slugs:
            raise CatalogError(f"{source}: slug {topic.slug!r} is used by two topics.")
        slugs.add(topic.slug)
        for name in topic.names():
            key = alias_key(name)
            if not key:
                raise CatalogError(f"{source}: topic {topic.slug!r} has an empty alias {name!r}.")
            other = by_key.get(key)
            if other is not None and other is not topic:
                raise CatalogError(
                    f"{source}: {name!r} of topic {topic.slug!r} is already an alias of "
                    f"topic {other.slug!r}."
                )
            by_key[key] = topic
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Catalog(topics=topics, version=version, _by_key=by_key)


def catalog_text() -> str:
    return resources.files("bot.topics").joinpath(CATALOG_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The packaged catalogue, read and validated once per process."""
    return parse_catalog(catalog_text())


CATALOG_VERSION: str = hashlib.sha256(catalog_text().encode("utf-8")).hexdigest()[:16]
"""Changes whenever catalog.toml changes: stored tags older than this need re-tagging."""


def resolve(word: str) -> Topic | None:
    """The catalogue topic a reader means by ``word`` (alias, name or slug), else None."""
    return load_catalog().resolve(word)


def suggest(word: str, n: int = 3) -> list[Topic]:
    """Closest catalogue topics for a word that resolves to none."""
    return load_catalog().suggest(word, n)
