"""When a chat may receive a new digest: its delivery time and quiet hours, in its zone.

The result becomes the outbox rows' ``not_before``; the sender (and `bot run`'s
scheduler) simply waits for it. A chat without a delivery time gets digests
immediately, unless that falls in its quiet hours, which then push it to their end.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _in_quiet(moment: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # the window wraps midnight, e.g. 22:00-07:00


def _at(day: datetime, clock: time) -> datetime:
    """``day``'s date at ``clock`` in ``day``'s zone (a gap in DST resolves forward)."""
    naive = datetime.combine(day.date(), clock)
    return naive.replace(tzinfo=day.tzinfo)


def next_delivery(
    now: datetime,
    zone: str,
    delivery_time: str | None,
    quiet: tuple[str, str] | None = None,
) -> datetime:
    """The first moment at or after ``now`` (aware) the chat wants its digest, in UTC."""
    local = now.astimezone(_zone(zone))
    if delivery_time is None:
        moment = local
    else:
        moment = _at(local, _hhmm(delivery_time))
        if moment < local:
            moment = _at(local + timedelta(days=1), _hhmm(delivery_time))
    if quiet is not None:
        start, end = _hhmm(quiet[0]), _hhmm(quiet[1])
        if _in_quiet(moment.timetz().replace(tzinfo=None), start, end):
            until = _at(moment, end)
            if until <= moment:
                until = _at(moment + timedelta(days=1), end)
            moment = until
    return moment.astimezone(UTC)
