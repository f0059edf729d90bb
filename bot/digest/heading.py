"""The issue's own heading (``# 嵌入式AI简报 (YYYY-MM-DD) title``), its date, front matter."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePath

_DATE = re.compile(r"(\d{4})\s*-\s*([0-9xX]{1,2})\s*-\s*([0-9xX]{1,2})")
_FILE_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TITLE_LEAD = " )）]】:：-—|"


def blank_front_matter(text: str) -> str:
    """Replace a Jekyll ``---`` front matter block with blank lines (keeps line numbers).

    Left in place, ``layout: default`` followed by ``---`` would read as a heading.
    """
    if not text.startswith("---"):
        return text
    lines = text.split("\n", 30)
    if lines[0].rstrip() != "---":
        return text
    for i in range(1, min(len(lines) - 1, 30)):
        if lines[i].rstrip() in ("---", "..."):
            return "\n" * (i + 1) + "\n".join(lines[i + 1 :])
    return text


def title_heading(raw: str) -> tuple[str | None, str] | None:
    """(raw date, title) when ``raw`` is the issue's heading, else None.

    The raw date may be a placeholder such as ``2020-05-xx``; the title is the text
    after the date (``骁龙480/微信AI超分/…``), without the ``：`` some issues put first.
    """
    match = _DATE.search(raw)
    if match is not None:
        return match.group(0), raw[match.end() :].lstrip(_TITLE_LEAD).strip()
    if "简报" in raw:
        return None, raw.split("简报", 1)[1].strip(" ：:")
    return None


def _valid(raw: str) -> str | None:
    match = _DATE.search(raw)
    if not match or not all(part.isdigit() for part in match.groups()):
        return None
    try:
        return dt.date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        return None


def file_date(filename: str | None) -> str | None:
    """The valid ``YYYY-MM-DD`` date in a file name, if any."""
    if filename:
        match = _FILE_DATE.search(PurePath(filename).name)
        if match:
            return _valid(match.group(0))
    return None


def issue_date(raw: str | None, filename: str | None) -> str | None:
    """ISO date from the heading, else from a ``YYYY-MM-DD`` in the file name, else None."""
    if raw:
        date = _valid(raw)
        if date:
            return date
    return file_date(filename)


def other_date(raw: str | None, filename: str | None) -> str | None:
    """The file name's date when the heading names a different valid one, else None.

    A revision saved as ``2021-01-05.r3.md`` whose heading still says 2021-01-01 would
    otherwise become a second issue: callers must be told which date is meant.
    """
    heading = _valid(raw) if raw else None
    named = file_date(filename)
    return named if heading and named and named != heading else None
