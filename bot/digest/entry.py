"""One entry out of its head line (tag, link, source, extra links) and its body lines.

Head shapes seen in real issues::

    - [title | source](url)
    - [1812.00332] [TITLE](url) [[原文]](url2) [机器之心解读](url3)
    - [title]()                      (empty link)
    - title | source                 (no link at all)

Body: optional ``label：url`` lines (代码、文章、主页…), then ``摘要：`` and whatever
follows (more paragraphs, nested lists). Without a ``摘要`` line, every body line
that is not such a label line is the summary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.digest.inline import Line, Segment, refused_href
from bot.digest.model import Entry, Link

_TAG = re.compile(r"^\s*[\[【]\s*([^\[\]【】]{1,40}?)\s*[\]】]\s*")
_SOURCE_SPLIT = re.compile(r"\s+[|｜]\s*|\s*[|｜]\s+")
_TIGHT_SOURCE = re.compile(
    r"[|｜]([^|｜\s，。、！？；：:,!?“”]{1,20}(?: [^|｜\s，。、！？；：:,!?“”]{1,20}){0,2})$"
)
_SUMMARY = re.compile(
    r"^\s*(?:"
    r"(?:\*\*)?(?:摘要|简介|概要|abstract|summary|tl;?\s?dr)\s*(?:\*\*)?\s*[：:]\s*(?:\*\*(?!\s))?"
    r"|[【\[]\s*(?:摘要|简介|概要)\s*[】\]]\s*[：:]?\s*"
    r")",
    re.I,
)
_URL = re.compile(r"(?:https?://|www\.)[^\s，。、；）)>\]」]+", re.I)
_LABEL = re.compile(r"^\s*([^\s：:]{1,12})\s*[：:]\s*(.*)$")
_META_LABELS = frozenset(
    (
        *("标题", "题目", "论文", "文章", "链接", "代码", "项目", "项目地址", "主页", "地址"),
        *("原文", "视频", "作者", "单位", "模型", "在线", "演示", "官网", "下载", "报告"),
        *("文档", "博客", "会议", "数据集", "网址", "slides", "slide", "paper", "code"),
        *("github", "arxiv"),
    )
)
_BROKEN_LINK = re.compile(r"^\[([^\[\]]+)\]\s*[（(]\s*<?(https?://[^)）>]+?)>?\s*[)）]")
# "[title](java\tscript:…)": a destination CommonMark refuses to parse (a space in
# it), with a scheme: still the entry's head, without a usable link.
_BROKEN_SCHEME_LINK = re.compile(
    r"^\[([^\[\]]+)\]\s*[（(]\s*<?([A-Za-z][\w+.\-\t ]{0,20}:[^)）>]*?)>?\s*[)）]"
)
_BARE_URL = re.compile(r"https?://[^\s，。、；）)>\]」]+", re.I)
_DECORATION = re.compile(r"^(?:[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F]+\s*)+")
_HTTP = re.compile(r"^https?://", re.I)


def is_http(href: str | None) -> bool:
    return bool(href) and _HTTP.match(href or "") is not None


@dataclass(slots=True)
class Head:
    title: str
    source: str | None
    url: str | None
    links: tuple[Link, ...]
    tag: str | None
    trailing: str = ""
    refused: str | None = None  # a broken link's destination with a refused scheme


def _split_source(text: str) -> tuple[str, str | None]:
    text = text.strip()
    parts = _SOURCE_SPLIT.split(text)
    if len(parts) >= 2 and parts[-1].strip():
        title = text[: len(text) - len(parts[-1])]
        title = re.sub(r"[\s|｜]+$", "", title)
        if title:
            return title, parts[-1].strip()
    tight = _TIGHT_SOURCE.search(text)
    if tight and tight.start() > 0:  # "title｜source", "title|source"
        return text[: tight.start()], tight.group(1)
    return text, None


def _unbracket(text: str) -> str:
    if len(text) > 2 and text[0] in "[【" and text[-1] in "]】":
        return text[1:-1].strip()
    return text


def _label_text(text: str) -> str:
    return text.strip().strip("[]【】").strip()


def _split_tag(text: str) -> tuple[str | None, str]:
    match = _TAG.match(text)
    if match and text[match.end() :].strip():
        return match.group(1).strip(), text[match.end() :]
    return None, text


def _unlinked_head(text: str) -> Head:
    """A head without a Markdown link: ``title | source``, a broken ``[t] (url)``, a bare url."""
    tag: str | None = None
    url: str | None = None
    text = _DECORATION.sub("", text)  # "🔥 title | source"
    broken = _BROKEN_LINK.match(text)
    other = None if broken else _BROKEN_SCHEME_LINK.match(text)
    if broken is None and other is None:
        tag, text = _split_tag(text)
        broken = _BROKEN_LINK.match(text)
        other = None if broken else _BROKEN_SCHEME_LINK.match(text)
    refused: str | None = None
    if broken:
        text, url = broken.group(1), broken.group(2)
    elif other:
        text = other.group(1)
        refused = other.group(2) if refused_href(other.group(2)) else None
    else:
        bare = _BARE_URL.search(text)
        if bare and text[: bare.start()].strip():
            url = bare.group(0)
            text = (text[: bare.start()] + text[bare.end() :]).strip()
    title, source = _split_source(text)
    return Head(_unbracket(title), source, url, (), tag, refused=refused)


def parse_head(segments: Sequence[Segment]) -> Head:
    """Read tag, title, source, url and extra links from an entry's first line."""
    first = next((i for i, s in enumerate(segments) if s.href is not None), None)
    if first is None:
        return _unlinked_head("".join(s.text for s in segments).strip())

    prefix = "".join(s.text for s in segments[:first]).strip()
    tag, prefix = _split_tag(prefix)
    if tag is None and _TAG.fullmatch(prefix):
        tag, prefix = _TAG.match(prefix).group(1).strip(), ""  # type: ignore[union-attr]
    main = segments[first]
    text = main.text
    if prefix and (not text.strip() or text.strip() == main.href):
        text = prefix  # "title | source <https://…>"
    rest = "".join(s.text for s in segments[first + 1 :] if s.href is None).strip()
    after = re.match(r"^[|｜]\s*([^|｜\[\]]+?)\s*$", rest)
    if after:  # "[title](url) | source": the link text is all title
        title, source, rest = text.strip(), after.group(1), ""
    else:
        title, source = _split_source(text)
    url = main.href if is_http(main.href) else None
    extra: list[Link] = []
    for seg in segments[first + 1 :]:
        if seg.href is None:
            continue
        if url is None and is_http(seg.href):
            url = seg.href
        elif seg.href:
            extra.append(Link(_label_text(seg.text) or seg.href, seg.href))
    return Head(_unbracket(title), source, url, tuple(extra), tag, rest)


def is_broken_link(text: str) -> bool:
    """``[title](dest)`` that CommonMark did not parse as a link: an entry's head."""
    return bool(_BROKEN_LINK.match(text) or _BROKEN_SCHEME_LINK.match(text))


def opens_with_link(segments: Sequence[Segment]) -> bool:
    """The line starts with an http link, after at most a ``[tag]``: an entry's head."""
    first = next((i for i, s in enumerate(segments) if s.href is not None), None)
    if first is None or not is_http(segments[first].href):
        return False
    prefix = _DECORATION.sub("", "".join(s.text for s in segments[:first]).strip())
    return not prefix or _TAG.fullmatch(prefix) is not None


def _line_urls(line: Line) -> list[str]:
    urls = [link.url for link in line.links if is_http(link.url)]
    if not urls:
        urls = [
            u if u.lower().startswith("http") else "http://" + u for u in _URL.findall(line.text)
        ]
    return urls


def _meta_label(line: Line) -> str | None:
    """The label of a ``代码：https://…`` style line, else None."""
    match = _LABEL.match(line.text)
    if not match:
        return None
    label, value = match.group(1), match.group(2).strip()
    if label.casefold().rstrip("0123456789") in _META_LABELS and len(value) < 300:
        return label
    if len(label) <= 6 and (
        _URL.match(value) or (line.links and value.startswith(line.links[0].text))
    ):
        return label
    return None


def split_body(lines: Sequence[Line]) -> tuple[str, tuple[Link, ...]]:
    """Summary text and labelled links (``代码：url``) of an entry's body lines."""
    start = next((i for i, line in enumerate(lines) if _SUMMARY.match(line.text)), None)
    links: list[Link] = []
    summary: list[str] = []
    meta_part = lines if start is None else lines[:start]
    for line in meta_part:
        label = _meta_label(line)
        if label is None:
            if start is None:
                summary.append(line.text)
            continue
        links.extend(Link(label, url) for url in _line_urls(line))
    if start is not None:
        first = _SUMMARY.sub("", lines[start].text, count=1).strip()
        if first:
            summary.append(first)
        summary.extend(line.text for line in lines[start + 1 :])
    return "\n".join(summary), tuple(links)


def build_entry(
    section: str, position: int, lineno: int, head: Head, body: Sequence[Line]
) -> Entry:
    trailing = head.trailing.lstrip(" ：:-—–,，")
    if trailing:  # "- [title](url) 摘要：…" or "- [title](url)：one-line summary"
        body = [Line(trailing, (), lineno), *body]
    summary, meta_links = split_body(body)
    links = head.links + tuple(link for link in meta_links if link not in head.links)
    return Entry(
        section=section,
        position=position,
        title=head.title,
        source=head.source,
        url=head.url,
        links=links,
        tag=head.tag,
        summary=summary,
        line=lineno,
    )


def is_body_line(text: str) -> bool:
    """A bullet that continues the entry above (``- 摘要：…``, ``- 代码：url``), not a new one."""
    line = Line(text, (), 0)
    return _SUMMARY.match(text) is not None or _meta_label(line) is not None


def is_summary_line(text: str) -> bool:
    return _SUMMARY.match(text) is not None
