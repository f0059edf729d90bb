"""Parse one digest issue from markdown-it-py's token stream.

The walk goes over the top-level blocks once:

* the ``# 嵌入式AI简报 (YYYY-MM-DD) title`` heading gives date and title;
* before the first section: the ``导读`` paragraph (intro) and the warm-up news
  after ``热身小新闻`` (bullets, plus lines whose ``- `` was forgotten);
* each section heading (``## 业界新闻``, ``## 一、论文``, ``### 视频``…) starts a
  section; every top-level bullet in it (or item of a numbered list of entries)
  starts an entry, and the paragraphs/lists that follow (inside the bullet or
  after it) are that entry's body until the next bullet or heading;
* ``往期回顾`` headings, horizontal rules, the licence and links to past issues
  start the footer, where nothing is an entry until the next section heading.

``parse_issue`` never raises: whatever it cannot make sense of becomes a warning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.digest.entry import (
    Head,
    build_entry,
    is_body_line,
    is_broken_link,
    is_summary_line,
    opens_with_link,
    parse_head,
)
from bot.digest.footer import is_footer_block, is_footer_line, is_past_issue
from bot.digest.heading import blank_front_matter, issue_date, other_date, title_heading
from bot.digest.inline import (
    Line,
    Segment,
    block_lines,
    inline_lines,
    inline_segments,
    segments_html,
    segments_refused,
    segments_text,
)
from bot.digest.model import Entry, Finding, Issue
from bot.digest.numbered import numbered_entries
from bot.digest.sections import clean_heading, is_footer_heading, is_known_section
from bot.digest.warmups import WarmupCollector

_INTRO = re.compile(r"^\s*导读\s*[：:]?\s*")
_PREAMBLE_HEADING = re.compile(r"导读|热身")
_NOTE = re.compile(r"^\s*(?:注|note)\s*[：:]", re.I)


class _SourceLinks(MarkdownIt):
    """CommonMark that keeps link destinations as written.

    The default percent-encodes them (``/中文`` → ``/%E4%B8%AD%E6%96%87``); readers and
    revision diffs want the url the maintainer wrote. The default ``validateLink``
    refuses ``javascript:``, ``data:``, ``vbscript:`` and ``file:`` links by leaving
    their Markdown as text, which read as a summary line and swallowed the entry:
    here every link parses, and ``inline_segments`` empties a refused one
    (``refused_href``) so it is never used, and lint reports it.
    """

    def normalizeLink(self, url: str) -> str:
        return url.strip()

    def validateLink(self, url: str) -> bool:
        return True


_MD = _SourceLinks("commonmark")


def _close(tokens: Sequence[Token], i: int) -> int:
    """Index of the token closing the block opened at ``tokens[i]``."""
    if tokens[i].nesting != 1:
        return i
    level = tokens[i].level
    j = i + 1
    while j < len(tokens) and not (tokens[j].level == level and tokens[j].nesting == -1):
        j += 1
    return min(j, len(tokens) - 1)


def _lineno(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0


class _Walker:
    def __init__(self, tokens: list[Token], source: str) -> None:
        self.tokens = tokens
        self.source_lines = source.split("\n")
        self.warnings: list[Finding] = []
        self.date_raw: str | None = None
        self.heading_line = 1
        self.title = ""
        self.title_seen = False
        self.intro = ""
        self.intro_next = False
        self.warmups = WarmupCollector()
        self.sections: list[str] = []
        self.section_lines: list[int] = []
        self.section_names: set[str] = set()
        self.section: str | None = None
        self.footer = False
        self.rule_end = -1
        self.entries: list[Entry] = []
        self.head: Head | None = None
        self.head_line = 0
        self.head_indent = 0
        self.head_html: tuple[str, ...] = ()
        self.body: list[Line] = []
        self.entry_html: list[tuple[int, str]] = []
        self.head_refused: tuple[str, ...] = ()
        self.entry_refused: list[tuple[int, str]] = []

    # -- entries -------------------------------------------------------------
    def _flush(self) -> None:
        if self.head is not None and self.section is not None:
            position = len(self.entries) + 1
            self.entries.append(
                build_entry(self.section, position, self.head_line, self.head, self.body)
            )
            html = self.head_html or next((line.html for line in self.body if line.html), ())
            if html:
                self.entry_html.append((self.head_line, html[0]))
            self.entry_refused.extend((self.head_line, href) for href in self.head_refused)
            self.entry_refused.extend(
                (line.lineno, href) for line in self.body for href in line.refused
            )
        self.head = None
        self.body = []

    def _item(self, start: int, stop: int) -> None:
        """A top-level list item inside a section: a new entry, or body of the current one."""
        tokens = self.tokens
        first_inline = next((k for k in range(start, stop) if tokens[k].type == "inline"), None)
        if first_inline is None:
            return
        inline = tokens[first_inline]
        lines = inline_segments(inline.children or ())
        head_text = segments_text(lines[0]) if lines else ""
        lineno = _lineno(tokens[start])
        if not head_text or is_footer_line(head_text):
            return
        if is_past_issue(head_text):  # "- [2023-02-27](…)": a link to a past issue
            self._flush()
            self.footer = True
            return
        indent = self._indent(lineno)
        if self.head is not None and is_summary_line(head_text):
            self.body.extend(block_lines(tokens, start + 1, stop))  # "- 摘要：… [slide](url)"
            return
        if self.head is not None and not any(seg.href or seg.refused for seg in lines[0]):
            if is_body_line(head_text):  # "- 代码：url", "- 摘要：…"
                self.body.extend(block_lines(tokens, start + 1, stop))
                return
            if self._continues(lines[0]):
                self.body.extend(block_lines(tokens, start, stop))
                return
        if self.head is not None and indent > self.head_indent:
            # "  - point" after a loose 摘要 paragraph: the summary's own list
            self.body.extend(block_lines(tokens, start, stop))
            return
        self._flush()
        self.head = parse_head(lines[0])
        self.head_html = segments_html(lines[0])
        self.head_refused = segments_refused(lines[0])
        if self.head.refused is not None:
            self.head_refused += (self.head.refused,)
        self.head_line = lineno
        self.head_indent = indent
        self.body.extend(inline_lines(inline, _lineno(inline))[1:])
        self.body.extend(block_lines(tokens, first_inline + 1, stop))

    def _indent(self, lineno: int) -> int:
        if not 0 < lineno <= len(self.source_lines):
            return 0
        raw = self.source_lines[lineno - 1].expandtabs(4)
        return len(raw) - len(raw.lstrip(" >"))

    def _continues(self, segments: list[Segment]) -> bool:
        """An unlinked, source-less bullet after a summary continues that summary."""
        has_summary = any(is_summary_line(line.text) for line in self.body)
        if not has_summary or is_broken_link(segments_text(segments)):
            return False
        return parse_head(segments).source is None

    def _list(self, start: int, stop: int) -> None:
        tokens = self.tokens
        k = start + 1
        while k < stop:
            if tokens[k].type == "list_item_open":
                end = _close(tokens, k)
                self._item(k, end)
                k = end + 1
            else:
                k += 1

    def _entries_follow(self, start: int, stop: int) -> bool:
        """A list right after a rule whose first item reads as an entry, not a footer."""
        if self.tokens[start].type not in ("bullet_list_open", "ordered_list_open"):
            return False
        inline = next((t for t in self.tokens[start:stop] if t.type == "inline"), None)
        if inline is None:
            return False
        head = inline_segments(inline.children or ())[0]
        text = segments_text(head)
        if is_footer_line(text) or is_past_issue(text):
            return False
        return opens_with_link(head) or parse_head(head).source is not None

    # -- headings ------------------------------------------------------------
    def _heading(self, i: int) -> None:
        tok = self.tokens[i]
        inline = self.tokens[i + 1] if i + 1 < len(self.tokens) else None
        raw = ""
        if inline is not None and inline.type == "inline":
            raw = " ".join(line.text for line in inline_lines(inline, _lineno(inline)))
        if not self.title_seen and self.section is None and self._title_heading(raw):
            self.heading_line = _lineno(tok)
            return
        name = clean_heading(raw)
        if self.section is None and not is_known_section(name) and _PREAMBLE_HEADING.search(name):
            self.intro_next = "导读" in name
            if "热身" in name:
                self.warmups.start()
            return
        setext = tok.markup in ("-", "=")
        if setext and not is_known_section(name):
            # "text\n---": a paragraph followed by a rule, not a section.
            if inline is not None and self.head is not None and not self.footer:
                self.body.extend(inline_lines(inline, _lineno(inline)))
            self._flush()
            if self.section is not None:
                self.footer = True
            return
        if is_footer_heading(name):
            self._flush()
            self.footer = True
            return
        if tok.tag in ("h1", "h2") or is_known_section(name) or self.section is None:
            if not name:
                return
            self._flush()
            self.section = name
            self.footer = False
            if name not in self.section_names:
                self.section_names.add(name)
                self.sections.append(name)
                self.section_lines.append(_lineno(tok))
            return
        self._flush()  # a ### subsection: entries stay in their section

    def _title_heading(self, raw: str) -> bool:
        found = title_heading(raw)
        if found is None:
            return False
        self.title_seen = True
        self.date_raw, self.title = found
        return True

    # -- the walk ------------------------------------------------------------
    def walk(self) -> None:
        tokens = self.tokens
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            end = _close(tokens, i)
            kind = tok.type
            if kind == "heading_open":
                self._heading(i)
            elif kind == "hr":
                self._flush()
                if self.section is not None:
                    self.footer = True
                    self.rule_end = end + 1
            elif self.section is None:
                self._preamble(i, end)
            elif self.footer and i == self.rule_end and self._entries_follow(i, end):
                self.footer = False  # "---" between entries, not before the footer
                self._list(i, end)
            elif self.footer:
                pass
            elif kind == "html_block":
                self._html_block(i, end)
            elif kind == "bullet_list_open" or (
                kind == "ordered_list_open"
                and numbered_entries(tokens, i, end, after_entry=self.head is not None)
            ):
                self._list(i, end)
            elif self.head is not None:
                self._body_block(i, end)
            i = end + 1
        self._flush()

    def _body_block(self, start: int, stop: int) -> None:
        """A top-level block after an entry: more summary, a note, or the footer."""
        lines = block_lines(self.tokens, start, stop + 1)
        if not lines:
            return
        first = lines[0].text
        raw = self.tokens[start + 1].content if start + 1 < len(self.tokens) else ""
        if is_footer_line(first) or "往期回顾" in first or is_footer_block(raw):
            self._flush()
            self.footer = True
        elif not (self.tokens[start].type == "blockquote_open" and _NOTE.match(first)):
            self.body.extend(lines)

    def _html_block(self, start: int, stop: int) -> None:
        """Raw HTML after an entry: its text is more summary, unless it is the footer
        (the licence); elsewhere it is dropped as before."""
        if self.head is None:
            return
        if is_footer_block(self.tokens[start].content):
            self._flush()
            self.footer = True
            return
        self.body.extend(block_lines(self.tokens, start, stop + 1))

    def _preamble(self, start: int, stop: int) -> None:
        """Blocks before the first section: intro, warm-ups, notes."""
        tokens = self.tokens
        kind = tokens[start].type
        if kind == "bullet_list_open":
            self.warmups.add_list(tokens, start, stop)
            return
        lines = block_lines(tokens, start, stop + 1)
        if not lines:
            return
        text = "\n".join(line.text for line in lines)
        if not self.intro and (self.intro_next or _INTRO.match(lines[0].text)):
            self.intro = _INTRO.sub("", text, count=1).strip()
            self.intro_next = False
            return
        if "热身" in text:
            self.warmups.start()
            return
        if kind == "paragraph_open":
            self.warmups.add_paragraph(lines)


def parse_issue(text: str, *, filename: str | None = None) -> Issue:
    """Parse one issue's Markdown. Never raises: problems become ``Issue.warnings``."""
    source = blank_front_matter(text.lstrip("\ufeff"))
    walker = _Walker(_MD.parse(source), source)
    walker.walk()
    warnings = walker.warnings
    date = issue_date(walker.date_raw, filename)
    if not walker.title_seen:
        warnings.append(
            Finding("no-heading", "warning", 1, "no '# 嵌入式AI简报 (YYYY-MM-DD)' heading found")
        )
    if not walker.sections:
        warnings.append(
            Finding(
                "no-sections", "warning", 1, "no section headings (## 业界新闻, ## 论文, …) found"
            )
        )
    if date is None:
        warnings.append(Finding("no-date", "warning", 1, "no date in the heading or the file name"))
    return Issue(
        date=date,
        title=walker.title,
        intro=walker.intro,
        warmups=tuple(walker.warmups.lines),
        sections=tuple(walker.sections),
        entries=tuple(walker.entries),
        warnings=tuple(warnings),
        other_date=other_date(walker.date_raw, filename),
        heading_line=walker.heading_line,
        section_lines=tuple(walker.section_lines),
        entry_html=tuple(walker.entry_html),
        refused_links=tuple(walker.entry_refused),
    )
