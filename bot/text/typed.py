"""What readers type, read the same way in every channel (Telegram's /topic, /search,
/time and /tz; the web preferences page): terms, times of day and time zones.

Terms: spaces and commas separate, quotes keep a phrase together. Time zones: what a
reader may type after /tz: an IANA name in any case (``asia/shanghai``), a
common city in Chinese or English (北京, Tokyo, New York), or a whole-hour offset
(``UTC+8``, ``+08:00``, ``GMT-5``) — always resolved to a name the store accepts. Times
of day: ``21:30``, ``2130``, ``21：30``."""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.text.normalize import strip_invisible

CITIES: dict[str, str] = {
    # Greater China and East Asia
    "北京": "Asia/Shanghai",
    "上海": "Asia/Shanghai",
    "深圳": "Asia/Shanghai",
    "广州": "Asia/Shanghai",
    "杭州": "Asia/Shanghai",
    "成都": "Asia/Shanghai",
    "南京": "Asia/Shanghai",
    "武汉": "Asia/Shanghai",
    "西安": "Asia/Shanghai",
    "中国": "Asia/Shanghai",
    "beijing": "Asia/Shanghai",
    "shanghai": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai",
    "hangzhou": "Asia/Shanghai",
    "china": "Asia/Shanghai",
    "香港": "Asia/Hong_Kong",
    "hong kong": "Asia/Hong_Kong",
    "hongkong": "Asia/Hong_Kong",
    "澳门": "Asia/Macau",
    "macau": "Asia/Macau",
    "台北": "Asia/Taipei",
    "臺北": "Asia/Taipei",
    "taipei": "Asia/Taipei",
    "东京": "Asia/Tokyo",
    "東京": "Asia/Tokyo",
    "tokyo": "Asia/Tokyo",
    "首尔": "Asia/Seoul",
    "seoul": "Asia/Seoul",
    "新加坡": "Asia/Singapore",
    "singapore": "Asia/Singapore",
    "班加罗尔": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "迪拜": "Asia/Dubai",
    "dubai": "Asia/Dubai",
    "悉尼": "Australia/Sydney",
    "sydney": "Australia/Sydney",
    # Europe
    "伦敦": "Europe/London",
    "london": "Europe/London",
    "柏林": "Europe/Berlin",
    "berlin": "Europe/Berlin",
    "慕尼黑": "Europe/Berlin",
    "munich": "Europe/Berlin",
    "巴黎": "Europe/Paris",
    "paris": "Europe/Paris",
    "阿姆斯特丹": "Europe/Amsterdam",
    "amsterdam": "Europe/Amsterdam",
    "苏黎世": "Europe/Zurich",
    "zurich": "Europe/Zurich",
    "莫斯科": "Europe/Moscow",
    "moscow": "Europe/Moscow",
    # the Americas
    "纽约": "America/New_York",
    "new york": "America/New_York",
    "波士顿": "America/New_York",
    "boston": "America/New_York",
    "多伦多": "America/Toronto",
    "toronto": "America/Toronto",
    "芝加哥": "America/Chicago",
    "chicago": "America/Chicago",
    "旧金山": "America/Los_Angeles",
    "san francisco": "America/Los_Angeles",
    "洛杉矶": "America/Los_Angeles",
    "los angeles": "America/Los_Angeles",
    "西雅图": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "硅谷": "America/Los_Angeles",
    "温哥华": "America/Vancouver",
    "vancouver": "America/Vancouver",
    "utc": "UTC",
    "gmt": "UTC",
}

_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」|([^\s,，、;；]+)')
_TIME = re.compile(r"([01]?\d|2[0-3])[:：.]?([0-5]\d)")
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?")


@cache
def _by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def _fixed(sign: str, hours: int, minutes: int) -> str | None:
    """A whole-hour offset as an ``Etc/GMT`` zone, whose sign is inverted (POSIX):
    UTC+8 is ``Etc/GMT-8``."""
    if minutes or not (-12 <= (hours if sign == "+" else -hours) <= 14):
        return None
    if hours == 0:
        return "UTC"
    return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"


def resolve_timezone(text: str) -> str | None:
    """The IANA zone name ``text`` means, or None."""
    raw = " ".join(text.strip().split())
    key = raw.lower().replace("_", " ")
    if key in CITIES:
        return CITIES[key]
    offset = _OFFSET.fullmatch(key)
    if offset:
        return _fixed(offset.group(1), int(offset.group(2)), int(offset.group(3) or 0))
    name = _by_lower_name().get(raw.lower().replace(" ", "_"))
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def timezone_label(name: str) -> str:
    """``Etc/GMT-8`` → ``UTC+8`` (how a reader typed it); other names as they are."""
    match = re.fullmatch(r"Etc/GMT([+-])(\d+)", name)
    if match:
        return f"UTC{'-' if match.group(1) == '+' else '+'}{match.group(2)}"
    return name


# A delivery time meaning "as soon as an issue is published" (no fixed time).
AS_PUBLISHED = frozenset({"now", "立即", "off"})


def parse_time(text: str) -> str | None:
    """``21:30``, ``9:05``, ``2130``, ``21：30`` → ``21:30``."""
    match = _TIME.fullmatch(text.strip())
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else None


def split_terms(text: str) -> list[str]:
    """``量化, NCNN 剪枝 "model compression" -招聘`` → five terms, in order, no duplicates.

    Commas (also ，、;；) and spaces separate terms; quotes keep a phrase together.
    """
    terms: list[str] = []
    for match in _QUOTED.finditer(strip_invisible(text)):
        term = next(group for group in match.groups() if group is not None).strip()
        if term and term not in terms:
            terms.append(term)
    return terms
