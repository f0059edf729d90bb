"""One digest entry as Telegram HTML, bounded and escaped, cut in pieces if it must be."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Final, Literal, get_args

from bot.digest.model import Entry, Link
from bot.i18n import t_text
from bot.render.env import render
from bot.render.split import Block, Packer, RenderError
from bot.render.text import chunk, clean, one_line, trim

Mode = Literal["full", "compact", "titles"]
MODES: Final[tuple[Mode, ...]] = get_args(Mode)
SUMMARY_LIMITS: Final[dict[str, int]] = {"full": 360, "compact": 120, "titles": 0}
MAX_TITLE = 300
MAX_SOURCE = 80
MAX_TAG = 60
MAX_URL = 2048
MAX_LINKS = 6  # extra links shown per entry: one entity each, so an entry stays small
MAX_LINK_LABEL = 12
MIN_PIECE = 300  # shortest summary piece worth starting an entry with
# Whitespace (str.isspace's, Unicode included) or a control character: not in a link.
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f]")


def safe_url(url: str | None) -> str | None:
    """``url`` if it is a plain http(s) link Telegram will accept in ``<a href>``, else None."""
    if not url:
        return None
    url = url.strip()
    if len(url) > MAX_URL or not url.lower().startswith(("http://", "https://")):
        return None
    if _NOT_IN_URL.search(url):
        return None
    return url


def extra_links(entry: Entry) -> tuple[Link, ...]:
    """The entry's other links worth a reader's tap (论文, 代码, …): http(s) only, not the
    main url again, each url once, at most :data:`MAX_LINKS`. A label that is itself a
    url (or empty) becomes ``""``, for the template to name generically."""
    seen = {entry.url.strip()} if entry.url else set()
    shown: list[Link] = []
    for link in entry.links:
        url = safe_url(link.url)
        if url is None or url in seen:
            continue
        seen.add(url)
        label = one_line(link.text)
        if "://" in label or label.lower().startswith("www."):
            label = ""
        shown.append(Link(trim(label, MAX_LINK_LABEL), url))
        if len(shown) == MAX_LINKS:
            break
    return tuple(shown)


@dataclass(frozen=True, slots=True)
class EntryView:
    """What a template shows of an entry: plain, bounded text (escaped by the template).

    ``section`` is the entry's section as written in the issue; ``links`` its extra
    links (:func:`extra_links`; a ``text`` of ``""`` is named generically).
    """

    key: str
    title: str
    url: str | None
    source: str
    tag: str
    summary: str
    section: str = ""
    links: tuple[Link, ...] = ()
    topics: str = ""  # with a filter: the chat's topics this entry came for

    @classmethod
    def of(cls, entry: Entry, mode: Mode, summary_limit: int | None) -> EntryView:
        """``summary_limit``: characters of summary to keep (``None``: all of it)."""
        summary = "" if mode == "titles" else clean(entry.summary)
        if mode == "compact":
            summary = one_line(summary)
        return cls(
            key=entry.key,
            title=trim(one_line(entry.title), MAX_TITLE),
            url=safe_url(entry.url),
            source=trim(one_line(entry.source or ""), MAX_SOURCE),
            tag=trim(one_line(entry.tag or ""), MAX_TAG),
            summary=trim(summary, summary_limit) if summary_limit != 0 else "",
            section=entry.section,
            links=extra_links(entry),
        )


def summary_limit_for(mode: Mode, summary_limit: int | None, full_text: bool) -> int | None:
    """The summary length to keep: none when ``full_text``, else the override or the mode's."""
    if full_text:
        return None
    return SUMMARY_LIMITS[mode] if summary_limit is None else summary_limit


def _render(view: EntryView, lang: str, mode: Mode, continued: bool) -> str:
    if not view.title:
        view = dataclasses.replace(view, title=t_text("digest.no_title", lang))
    return render("telegram/entry.html.j2", lang, e=view, mode=mode, continued=continued)


def entry_blocks(
    view: EntryView, lang: str, mode: Mode, packer: Packer, section: str
) -> list[Block]:
    """The entry as one block, or, if it cannot fit a message alone, as several
    blocks cut in its summary at paragraph, then sentence ends (。！？；)."""
    keys = (view.key,)
    whole = Block.of(_render(view, lang, mode, False), keys)
    if packer.fits_alone(whole, section):
        return [whole]
    heads = [
        Block.of(_render(dataclasses.replace(view, summary=""), lang, mode, continued))
        for continued in (False, True)
    ]
    head_chars = max(h.plain_len for h in heads) + 1
    size = packer.room_alone(section)[0] - head_chars
    if size < MIN_PIECE:
        raise RenderError("an entry's title leaves no room for its summary")
    here_chars, here_entities = packer.room_here(section)
    first = here_chars - head_chars
    if first < MIN_PIECE or here_entities < max(h.entities for h in heads):
        first = size
    blocks = [
        Block.of(
            _render(dataclasses.replace(view, summary=piece), lang, mode, i > 0),
            keys,
            continues=i > 0,
        )
        for i, piece in enumerate(chunk(view.summary, size, first))
    ]
    for block in blocks:
        if not packer.fits_alone(block, section):
            raise RenderError(f"an entry piece of {block.plain_len} characters does not fit")
    return blocks


def render_entry(
    entry: Entry,
    *,
    lang: str = "zh",
    mode: Mode = "full",
    summary_limit: int | None = None,
    full_text: bool = False,
) -> str:
    """One entry as a Telegram HTML fragment (for /issue and similar replies).

    Bounded by the mode's summary length unless ``full_text``; a whole-text entry
    can exceed one message — use :func:`bot.render.digest.render_digest` with
    ``full_text=True`` when it must be split.
    """
    view = EntryView.of(entry, mode, summary_limit_for(mode, summary_limit, full_text))
    return _render(view, lang, mode, False)
