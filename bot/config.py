"""One typed settings object, read from the environment and `.env`.

Every field is documented in deploy/.env.example. Commands that do not talk to
Telegram only read what they need (``db_path``), so a missing token is only an
error for `bot run`.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated

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
    rate: float = Field(default=30.0, gt=0, le=1000)
    webhook_secret: SecretStr | None = None
    log_level: str = "INFO"
    publish_grace_minutes: int = Field(default=60, ge=0)

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError("BOT_ADMINS must be Telegram user ids separated by commas") from None
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

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("BOT_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level


class SettingsError(Exception):
    """A missing or malformed setting, as one sentence."""


def load_settings() -> Settings:
    """Read settings; raise SettingsError with one clear sentence on bad input."""
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "BOT_" + str(err["loc"][0]).upper() if err["loc"] else "a setting"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {name}: {msg}") from None
