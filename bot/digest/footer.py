"""Footer lines and blocks that end an issue's entries, with or without a 往期回顾 heading.

The footer holds the WeChat / Editor / Project lines, the licence (HTML or Markdown),
and the links to past issues (a bullet list or a table of dated links).
"""

from __future__ import annotations

import re

_LINE = re.compile(
    r"^\s*(?:wechat(?:\s*id)?|微信(?:公众号|号)?|公众号|editor|project|编辑|作者)\s*[:：]", re.I
)
_BLOCK = re.compile(
    r"<a\s[^>]*rel=[\"']?license|creativecommons\.org|本作品采用|"
    r"^\s*\|(?:\s*\d\s*\|){4}|\[\s*\d{4}-\d{2}-\d{2}\s*\]\(",
    re.I | re.M,
)
_PAST_ISSUE = re.compile(r"^(?:嵌入式AI简报\s*)?[(（]?\d{4}-\d{2}-\d{2}[)）]?(?:\s*简报)?$")


def is_footer_line(text: str) -> bool:
    """``Wechat ID: …``, ``Editor: …``, ``Project: …`` and their Chinese forms."""
    return _LINE.match(text) is not None


def is_footer_block(raw: str) -> bool:
    """A top-level block's Markdown holding the licence or a table of past issues."""
    return _BLOCK.search(raw) is not None


def is_past_issue(text: str) -> bool:
    """A bullet that is only a past issue's date (``2023-02-27``, ``嵌入式AI简报 (…)``)."""
    return _PAST_ISSUE.match(text) is not None
