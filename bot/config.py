"""One typed settings object, read from the environment and `.env`.

Every field is documented in deploy/.env.example. Commands that do not talk to
Telegram only read what they need (``db_path``), so a missing token is only an
error for `bot run`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: SecretStr | None = None
    api_base: str = TELEGRAM_API
    db: Path = Path("data/bot.sqlite3")
    admins: Annotated[frozenset[int], NoDecode] = frozenset()
    channel: str | None = None
    tz: str = "Asia/Shanghai"
    # Language of a chat that has not chosen one and whose user's Telegram language is
    # neither zh* nor en*; every group starts in it (bot.i18n.chat_lang).
    default_lang: Literal["zh", "en"] = "zh"
    rate: float = Field(default=30.0, gt=0, le=1000)
    webhook_secret: SecretStr | None = None
    log_level: str = "INFO"
    publish_grace_minutes: int = Field(default=60, ge=0)
    # How long a delivery keeps being retried through 5xx answers, timeouts and dropped
    # connections (exponential backoff with jitter) before it is marked failed.
    retry_for_minutes: float = Field(default=60, gt=0, le=7 * 24 * 60)
    # `bot run` (each also a command-line option, which wins over the setting).
    log_format: Literal["kv", "json"] = "kv"
    webhook_url: str | None = None
    listen: str = "127.0.0.1:8080"
    health_port: int | None = Field(default=None, ge=1, le=65535)
    # The public web site (bot.web), served by `bot run` on BOT_LISTEN.
    public_url: str | None = None
    username: str | None = None

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                msg = "BOT_ADMINS must be Telegram user ids separated by commas"
                raise ValueError(msg) from None
        return value

    @field_validator("tz")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (try Asia/Shanghai)") from None
        return value

    @field_validator("token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        head, sep, tail = value.get_secret_value().partition(":")
        if not (sep and head.isdigit() and tail):
            raise ValueError("BOT_TOKEN must look like 123456:ABC-DEF (digits, colon, text)")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        local = ("http://127.0.0.1:", "http://localhost:")  # the emulator, in tests
        if value and not value.startswith(("https://", *local)):
            raise ValueError("BOT_WEBHOOK_URL must start with https:// (Telegram requires it)")
        return value or None

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError(
                "BOT_PUBLIC_URL must be http(s)://host[/path], e.g. https://digest.example.org"
            )
        return value.rstrip("/")

    @field_validator("username")
    @classmethod
    def _check_username(cls, value: str | None) -> str | None:
        name = (value or "").strip().removeprefix("@")
        if not name:
            return None
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", name):
            raise ValueError("BOT_USERNAME must be the bot's @username (letters, digits, _)")
        return name

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not (sep and host and port.isdigit() and 0 < int(port) < 65536):
            raise ValueError("BOT_LISTEN must be host:port, e.g. 127.0.0.1:8080")
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("BOT_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level


class SettingsError(Exception):
    """A missing or malformed setting, as one sentence."""


def load_settings(**overrides: object) -> Settings:
    """Read settings; raise SettingsError with one clear sentence on bad input.

    ``overrides`` (command-line options, by field name) win over the environment and
    are validated the same way.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "BOT_" + str(err["loc"][0]).upper() if err["loc"] else "a setting"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {name}: {msg}") from None
