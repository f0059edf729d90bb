"""One typed settings object, read from the environment and `.env`.

Every field is documented in deploy/.env.example. Commands that do not talk to
Telegram only read what they need (``db_path``), so a missing token is only an
error for `bot run`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org"
SECRET_KEY_MIN = 16  # as bot.mail.tokens.MIN_SECRET


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
    # E-mail (bot.mail): off unless BOT_SMTP_URL is set. The URL may carry the SMTP
    # password, so it is a secret like the token: never shown in logs, errors or output.
    smtp_url: SecretStr | None = None
    mail_from: str = "嵌入式AI简报 <digest@example.org>"
    mail_reply_to: str | None = None
    mail_rate: float = Field(default=10.0, gt=0, le=1000)
    # Signs the links in mails (confirm, unsubscribe, preferences) and VERP addresses.
    secret_key: SecretStr | None = None
    dkim_selector: str | None = None
    dkim_key_file: Path | None = None
    bounce_listen: str | None = None
    bounce_imap_url: SecretStr | None = None
    # The site's forms are rate-limited per client address. Behind a reverse proxy every
    # request comes from the proxy: set BOT_TRUST_PROXY=1 there so the address the proxy
    # appends to X-Forwarded-For counts instead (never without a proxy: anyone can send it).
    trust_proxy: bool = False
    # A digest mail the server keeps refusing with 4xx is given up after this long.
    mail_retry_for_minutes: float = Field(default=4320.0, gt=0, le=43200)

    @property
    def email_enabled(self) -> bool:
        """E-mail is on exactly when BOT_SMTP_URL is set."""
        return self.smtp_url is not None

    def mail_secrets(self) -> list[str]:
        """What logs must never show of the e-mail settings: the URLs, their passwords
        (as written and percent-decoded) and the secret key."""
        found: list[str] = []
        for secret in (self.webhook_secret, self.smtp_url, self.secret_key, self.bounce_imap_url):
            if secret is None:
                continue
            value = secret.get_secret_value()
            found.append(value)
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            if password:
                found.extend({password, unquote(password)})
        return found

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

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:  # the full check is bot.mail.smtp.SmtpUrl.parse; never echo the value
            parts = urlsplit(value.get_secret_value().strip())
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            parts = urlsplit("")
        if parts.scheme.lower() not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                "BOT_SMTP_URL must look like smtp://user:pass@host:587?starttls=1"
                " or smtps://user:pass@host:465"
            )
        return value

    @field_validator("secret_key")
    @classmethod
    def _check_secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < SECRET_KEY_MIN:
            raise ValueError(
                f"BOT_SECRET_KEY must be at least {SECRET_KEY_MIN} characters long"
                " (e.g. the output of: openssl rand -hex 32)"
            )
        return value

    @field_validator("mail_from", "mail_reply_to")
    @classmethod
    def _check_mailbox(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or (not value.strip() and info.field_name == "mail_reply_to"):
            return None
        if re.search(r"[\x00-\x1f\x7f]", value) or "@" not in value:
            raise ValueError(
                "must be an address or 'Name <address@domain>' on one line,"
                " e.g. 嵌入式AI简报 <digest@example.org>"
            )
        return value.strip()

    @field_validator("dkim_selector")
    @classmethod
    def _check_dkim_selector(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,62})", value):
            raise ValueError("BOT_DKIM_SELECTOR must be a DNS label like mail2026")
        return value

    @field_validator("bounce_listen")
    @classmethod
    def _check_bounce_listen(cls, value: str | None) -> str | None:
        if not value:
            return None
        host, sep, port = value.rpartition(":")
        if not (sep and host and port.isdigit() and 0 < int(port) < 65536):
            raise ValueError("BOT_BOUNCE_LISTEN must be host:port, e.g. 127.0.0.1:2525")
        return value

    @field_validator("bounce_imap_url")
    @classmethod
    def _check_imap_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            parts = urlsplit(value.get_secret_value().strip())
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            parts = urlsplit("")
        if parts.scheme.lower() not in ("imap", "imaps") or not parts.hostname:
            raise ValueError("BOT_BOUNCE_IMAP_URL must look like imaps://user:pass@host:993/INBOX")
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
