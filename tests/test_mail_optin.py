"""Double opt-in from the CLI over a real SMTP server on 127.0.0.1 and a real SQLite
file: one confirmation mail with a working link, the hourly throttle, clear refusals."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from bot.cli import main
from bot.mail.tokens import Tokens
from bot.publishing.optin import LinkError, confirm, unsubscribe
from bot.store.database import open_database
from tests.support.smtp import Sink, text_part

SECRET = "test-secret-key-0123456789"
PUBLIC_URL = "https://digest.example.org"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/confirm/([A-Za-z0-9_.\-]+)")


@pytest.fixture
def mail_env(smtp_sink: Sink, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("BOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BOT_SMTP_URL", smtp_sink.url("digest:s3cret%20p%40ss%3Aword@"))
    monkeypatch.setenv("BOT_SECRET_KEY", SECRET)
    monkeypatch.setenv("BOT_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("BOT_MAIL_FROM", "嵌入式AI简报 <digest@example.org>")
    return tmp_path / "bot.sqlite3"


def bot(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["email", *args, "--db", str(db)])
    return result.exit_code, result.stdout, result.stderr


def listed(db: Path) -> list[dict[str, object]]:
    code, out, _ = bot(db, "list", "--format", "json")
    assert code == 0
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def test_add_sends_one_confirmation_mail_whose_link_confirms(
    mail_env: Path, smtp_sink: Sink
) -> None:
    code, out, err = bot(mail_env, "add", " Ann@Example.ORG ", "--topic", "量化", "--lang", "en")
    assert (code, err) == (0, "") and out == "ann@example.org: confirmation mail sent\n"
    (got,) = smtp_sink.handler.received
    assert got.rcpt_tos == ["ann@example.org"] and got.mail_from.startswith("bounces+")
    msg = message_from_bytes(got.data, policy=policy.default)
    assert msg["To"] == "ann@example.org" and "List-Unsubscribe" not in msg
    token = LINK.search(text_part(got.data))
    assert token is not None
    (row,) = listed(mail_env)
    assert {k: row[k] for k in ("address", "status", "topics", "lang", "confirmed")} == {
        "address": "ann@example.org",
        "status": "unconfirmed",
        "topics": ["量化"],
        "lang": "en",
        "confirmed": None,
    }
    assert set(row) == {"address", "status", "topics", "lang", "created", "confirmed", "reason"}

    # a second sign-up within the hour sends nothing and answers the same way for any state
    code, out, _ = bot(mail_env, "add", "ann@example.org")
    assert code == 0 and "nothing sent" in out and len(smtp_sink.handler.received) == 1

    async def confirm_it() -> None:
        async with open_database(mail_env) as db:
            tokens = Tokens(SecretStr(SECRET))
            done = await confirm(db, tokens, token.group(1))
            assert done.status == "confirmed"
            with pytest.raises(LinkError, match="not valid"):
                await confirm(db, tokens, token.group(1)[:-3] + "abc")
            with pytest.raises(LinkError, match="another page"):
                await unsubscribe(db, tokens, token.group(1))

    asyncio.run(confirm_it())
    (row,) = listed(mail_env)
    assert row["status"] == "confirmed" and isinstance(row["confirmed"], str)
    code, out, _ = bot(mail_env, "add", "ann@example.org", "--topic", "招聘")
    assert "nothing changed" in out and listed(mail_env)[0]["topics"] == ["量化"]
    assert len(smtp_sink.handler.received) == 1


@pytest.mark.parametrize(
    "address",
    [
        "not-an-address",
        "ann@example.org\r\nBcc: victim@example.org",
        "ann@example.org\nSubject: hi",
        "Ann <ann@example.org>",
        "",
        "a" * 400 + "@example.org",
    ],
)
def test_bad_addresses_get_one_sentence_and_change_nothing(
    mail_env: Path, smtp_sink: Sink, address: str
) -> None:
    code, out, err = bot(mail_env, "add", address)
    assert code == 2 and out == ""
    assert err.startswith("Error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert smtp_sink.handler.received == [] and listed(mail_env) == []


def test_refused_confirmation_mail_is_one_sentence_and_can_be_retried(
    mail_env: Path, smtp_sink: Sink
) -> None:
    smtp_sink.handler.refuse_rcpt["bob@example.org"] = ["550 5.1.1 no such user"]
    code, _, err = bot(mail_env, "add", "bob@example.org")
    assert code == 1 and "refused" in err and "550" in err and err.count("\n") == 1
    assert "s3cret" not in err
    code, out, _ = bot(mail_env, "add", "bob@example.org")  # the allowance was given back
    assert code == 0 and "confirmation mail sent" in out
    assert len(smtp_sink.handler.received) == 1


def test_confirmed_needs_a_source_and_records_it(mail_env: Path, smtp_sink: Sink) -> None:
    code, _, err = bot(mail_env, "add", "c@example.org", "--confirmed")
    assert code == 2 and "--source" in err
    code, _, err = bot(mail_env, "add", "c@example.org", "--source", "x")
    assert code == 2 and "--confirmed" in err
    code, out, _ = bot(
        mail_env, "add", "c@example.org", "--confirmed", "--source", "asked at the meetup"
    )
    assert code == 0 and "asked at the meetup" in out
    assert smtp_sink.handler.received == []
    (row,) = listed(mail_env)
    assert row["status"] == "confirmed"
    code, out, _ = bot(mail_env, "remove", "C@example.org")
    assert code == 0 and out == "c@example.org: unsubscribed\n"
    (row,) = listed(mail_env)
    assert (row["status"], row["reason"]) == ("unsubscribed", "removed by the maintainer")
    code, _, err = bot(mail_env, "remove", "nobody@example.org")
    assert code == 1 and "not on the list" in err


def test_import_row_by_row_and_export(mail_env: Path, smtp_sink: Sink, tmp_path: Path) -> None:
    file = tmp_path / "readers.csv"
    file.write_text(
        "address,topics,lang\n"
        "d@example.org,量化;-招聘,zh\n"
        "broken-address,,\n"
        "e@example.org,,en\n"
        '"f@example.org\r\nBcc: x@example.org",,\n'
        "g@example.org,,fr\n",
        encoding="utf-8",
    )
    code, out, err = bot(mail_env, "import", str(file), "--confirmed", "--source", "old list")
    assert code == 1
    assert out.splitlines()[-1] == "2 added, 3 refused"
    refused = err.splitlines()
    assert len(refused) == 3 and all(line.startswith(f"{file}:") for line in refused)
    assert smtp_sink.handler.received == []
    code, out, _ = bot(mail_env, "list", "--status", "confirmed", "--format", "json")
    assert [r["address"] for r in json.loads(out)] == ["d@example.org", "e@example.org"]
    code, out, _ = bot(mail_env, "export")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["address"], r["topics"], r["lang"], r["source"]) for r in rows] == [
        ("d@example.org", "量化;-招聘", "zh", "old list"),
        ("e@example.org", "", "en", "old list"),
    ]
    # without --confirmed every row gets its confirmation mail
    again = tmp_path / "more.csv"
    again.write_text("address\nh@example.org\ni@example.org\n", encoding="utf-8")
    code, out, _ = bot(mail_env, "import", str(again))
    assert code == 0 and out.splitlines()[-1] == "2 added, 0 refused"
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.handler.received) == [
        "h@example.org",
        "i@example.org",
    ]


def test_without_smtp_settings_add_says_what_is_missing(
    mail_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOT_SMTP_URL")
    code, _, err = bot(mail_env, "add", "j@example.org")
    assert code == 2 and "BOT_SMTP_URL" in err
    monkeypatch.setenv("BOT_SMTP_URL", "smtp://127.0.0.1:1")
    monkeypatch.delenv("BOT_PUBLIC_URL")
    code, _, err = bot(mail_env, "add", "j@example.org")
    assert code == 2 and "BOT_PUBLIC_URL" in err
