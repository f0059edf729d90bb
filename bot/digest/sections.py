"""Section headings: the known ones, footers, and cleaning decorated heading text."""

from __future__ import annotations

import re
import unicodedata

KNOWN_SECTIONS: tuple[str, ...] = ("业界新闻", "论文", "开源项目", "博文", "应用", "视频", "教程")
FOOTER_HEADINGS: tuple[str, ...] = ("往期回顾", "历史文章", "往期推荐")
_NUMBERING = re.compile(
    r"^(?:第?[0-9一二三四五六七八九十]{1,3}\s*(?:[、.．:：)）]|部分)|[（(][0-9一二三四五六七八九十]{1,3}[)）])\s*"
)
_PAIRS = {"(": ")", "（": "）", "[": "]", "【": "】", "「": "」", "《": "》"}


def _wordy(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN"


def clean_heading(text: str) -> str:
    """Heading text without decoration: ``## 🔥 业界新闻 ：`` → ``业界新闻``.

    Leading/trailing emoji, punctuation and spaces go; a closing bracket stays when
    its opening bracket is kept (``论文（上）``).
    """
    text = " ".join(text.split())
    i, j = 0, len(text)
    while i < j and not _wordy(text[i]):
        i += 1
    while j > i and not _wordy(text[j - 1]):
        j -= 1
    cleaned = text[i:j]
    numbered = _NUMBERING.match(cleaned)
    if numbered and cleaned[numbered.end() :].strip():  # "一、业界新闻", "1. 论文"
        cleaned = cleaned[numbered.end() :].lstrip()
    for opener, closer in _PAIRS.items():
        if cleaned.count(opener) > cleaned.count(closer) and text[j:].startswith(closer):
            cleaned += closer
            break
    return cleaned


def is_known_section(name: str) -> bool:
    return any(known in name for known in KNOWN_SECTIONS)


def is_footer_heading(name: str) -> bool:
    return any(word in name for word in FOOTER_HEADINGS)
