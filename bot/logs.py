"""Structured logging: one line per event, ``key=value`` or JSON, secrets redacted.

Code logs events with :func:`event` (``event(log, "publish.fired", issue="2021-01-05")``);
records from libraries (aiogram, aiohttp, apscheduler) go through the same formatter.
A :class:`RedactFilter` on the handler replaces the bot token — and anything shaped like a
Bot API token in a URL — before a line is written, whoever logged it.

Redaction also happens at the source: :func:`redact` is what the Bot API session
applies to exception messages and the sender to stored errors, with the secrets
registered by :func:`register_secret` (the token, when a ``Bot`` is built); and
:func:`install_excepthook` makes an uncaught exception's traceback go through it too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, Literal, TextIO
from urllib.parse import quote

LogFormat = Literal["kv", "json"]
FORMATS: tuple[LogFormat, ...] = ("kv", "json")

REDACTED = "<redacted>"
# A Bot API token anywhere (URLs like /bot123:ABC/getMe included, ":" percent-encoded too).
_TOKEN_SHAPE = re.compile(r"(?<![0-9])\d{5,}(?::|%3[Aa])[A-Za-z0-9_-]{20,}")
_SECRETS: set[str] = set()  # registered by register_secret: redacted everywhere


def _forms(secret: str) -> set[str]:
    """A secret as written and as a proxy may echo it (percent-encoded, ``:`` or all)."""
    return {secret, quote(secret, safe=""), quote(secret, safe=":"), secret.replace(":", "%3a")}


def register_secret(secret: str | None) -> None:
    """Redact ``secret`` from every log line, stored error and traceback of this process."""
    if secret:
        _SECRETS.update(_forms(secret))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without registered secrets, ``secrets`` or token-shaped strings."""
    every = set(_SECRETS)
    for secret in secrets:
        if secret:
            every |= _forms(secret)
    for secret in sorted(every, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _TOKEN_SHAPE.sub(REDACTED, text)


def install_excepthook() -> None:
    """Print uncaught exceptions (the traceback a crash leaves on stderr) redacted."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))

    sys.excepthook = hook


_FIELDS = "event_fields"
_BARE = re.compile(r"^[^\s=\"]+$")
_MAX_VALUE = 2000


class RedactFilter(logging.Filter):
    """Replace secrets in a record's message, fields and traceback before formatting."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        fields = getattr(record, _FIELDS, None)
        if isinstance(fields, dict):
            setattr(
                record,
                _FIELDS,
                {k: self.redact(v) if isinstance(v, str) else v for k, v in fields.items()},
            )
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _timestamp(record: logging.LogRecord) -> str:
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{base}.{int(record.msecs):03d}Z"


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ts": _timestamp(record),
        "level": record.levelname.lower(),
        "logger": record.name,
    }
    fields = getattr(record, _FIELDS, None)
    if isinstance(fields, dict):
        out["event"] = record.getMessage()
        out.update(fields)
    else:
        out["msg"] = record.getMessage()
    if record.exc_text:
        out["error"] = record.exc_text
    return out


def _kv_value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text[:_MAX_VALUE]
    if text and _BARE.match(text):
        return text
    return json.dumps(text, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    """``ts=… level=info logger=bot.run event=publish.fired issue=2021-01-05`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_kv_value(v)}" for k, v in _fields(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False, default=str)


def setup_logging(
    level: str = "INFO",
    fmt: LogFormat = "kv",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) as structured lines; return the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    handler.addFilter(RedactFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # aiohttp's access log repeats every Bot API call (token in the path): keep it at WARNING.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
    return handler


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: object) -> None:
    """Log one structured event: ``name`` plus key/value fields."""
    logger.log(level, name, extra={_FIELDS: dict(fields)})


def fields_of(record: logging.LogRecord) -> Mapping[str, Any]:
    """The structured fields of a record logged with :func:`event` (empty otherwise)."""
    fields = getattr(record, _FIELDS, None)
    return fields if isinstance(fields, dict) else {}
