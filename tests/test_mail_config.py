"""The e-mail settings: off unless BOT_SMTP_URL is set, secrets never shown."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("BOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir("/")  # no .env of the work tree


def test_email_is_off_unless_the_smtp_url_is_set() -> None:
    settings = load_settings()
    assert not settings.email_enabled
    assert settings.mail_rate == 10.0
    assert settings.mail_from == "嵌入式AI简报 <digest@example.org>"
    on = load_settings(smtp_url="smtps://digest:p%40ss@smtp.example.org:465")
    assert on.email_enabled


def test_the_smtp_password_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "smtp://digest:hunter2-secret@smtp.example.org:587?starttls=1"
    monkeypatch.setenv("BOT_SMTP_URL", url)
    monkeypatch.setenv("BOT_SECRET_KEY", "0123456789abcdef-key")
    settings = load_settings()
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)
    assert "0123456789abcdef-key" not in repr(settings)
    assert "hunter2-secret" in settings.mail_secrets()
    monkeypatch.setenv("BOT_SMTP_URL", "ftp://digest:hunter2-secret@smtp.example.org")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "BOT_SMTP_URL" in str(info.value) and "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("secret_key", "short", "at least 16"),
        ("mail_from", "Digest <digest@example.org>\r\nBcc: x@example.org", "one line"),
        ("mail_rate", "0", "BOT_MAIL_RATE"),
        ("bounce_listen", "nowhere", "host:port"),
        ("bounce_imap_url", "http://u:p@host", "imaps://"),
        ("dkim_selector", "bad selector", "DNS label"),
    ],
)
def test_bad_mail_settings_are_one_sentence(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv("BOT_" + name.upper(), value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert says in str(info.value) and "\n" not in str(info.value)
