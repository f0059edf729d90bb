"""`bot preview --channel email`: the digest mail a subscriber gets, as text, HTML or the
whole message, without BOT_SMTP_URL or BOT_SECRET_KEY."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from bot.cli import main
from bot.digest.parse import parse_issue
from bot.issuefile import read_issue_text
from bot.mail.tokens import ForgedToken, Tokens
from bot.render.digest import select_entries
from bot.render.entry import extra_links

SITE = "https://digest.example.org"


@pytest.fixture(autouse=True)
def no_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No BOT_* variable and no .env: in particular no BOT_SMTP_URL, no BOT_SECRET_KEY."""
    import os

    for name in [n for n in os.environ if n.startswith("BOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def run(*args: str, **env: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(main, ["preview", *args, "--channel", "email"], env=env)
    return result.exit_code, result.stdout_bytes, result.stderr


def eml(seed: Path, *args: str, **env: str) -> EmailMessage:
    code, out, err = run(str(seed), "--format", "eml", *args, **env)
    assert code == 0, err
    assert all(byte < 128 for byte in out), "the whole message is 7-bit"
    msg = email.message_from_bytes(out, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def parts(msg: EmailMessage) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = list(msg.iter_parts())
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    for part in (plain, html):
        assert part["Content-Transfer-Encoding"] in ("base64", "quoted-printable")
    return str(plain.get_content()), str(html.get_content())


def test_eml_is_the_whole_message_with_unsubscribe_headers(seed_path: Path) -> None:
    msg = eml(seed_path, "--topic", "量化", BOT_PUBLIC_URL=SITE)
    assert msg["To"] == "reader@example.org"
    assert msg["From"].addresses[0].addr_spec == "digest@example.org"
    assert str(msg["Subject"]) == "嵌入式AI简报 · 2021-01-05 · 量化 2 条"
    assert re.fullmatch(r"<digest\.[0-9a-f]{32}@example\.org>", msg["Message-ID"])
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = re.findall(r"<([^>]+)>", str(msg["List-Unsubscribe"]))
    assert https.startswith(f"{SITE}/unsubscribe/")
    assert mailto.startswith("mailto:bounces+") and mailto.endswith(
        "@example.org?subject=unsubscribe"
    )
    text, html = parts(msg)
    assert https in text and https in html
    assert "HAWQ" in text and "HAWQ" in html
    # Signed with the published preview key: a real site's key refuses the link.
    token = https.rsplit("/", 1)[1]
    with pytest.raises(ForgedToken):
        Tokens(SecretStr("the-operators-own-secret-key")).read("unsubscribe", token)


def test_list_unsubscribe_is_written_as_plain_uris(seed_path: Path) -> None:
    """Not folded into RFC 2047 encoded words (a mail client reads no URI in those)."""
    code, out, _ = run(str(seed_path), "--format", "eml", BOT_PUBLIC_URL=SITE)
    assert code == 0
    head = out.split(b"\r\n\r\n", 1)[0].decode("ascii")
    found = re.search(r"^List-Unsubscribe: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head, flags=re.M)
    assert found, head
    raw = found.group(1)
    assert "=?" not in raw
    assert re.fullmatch(
        rf"<{re.escape(SITE)}/unsubscribe/[\w.-]+>,\r\n <mailto:bounces\+[\w-]+@example\.org"
        r"\?subject=unsubscribe>",
        raw,
    ), raw


def test_same_file_gives_the_same_bytes(seed_path: Path) -> None:
    first = run(str(seed_path), "--format", "eml")
    second = run(str(seed_path), "--format", "eml")
    assert first[0] == 0 and first[1] == second[1]


def test_without_public_url_links_point_to_localhost_with_a_note(seed_path: Path) -> None:
    code, out, err = run(str(seed_path), "--format", "text")
    assert code == 0
    assert "BOT_PUBLIC_URL is not set" in err and "http://localhost:8080" in err
    assert "http://localhost:8080/unsubscribe/" in out.decode()
    assert "http://localhost:8080/prefs/" in out.decode()
    msg = eml(seed_path)
    assert "<http://localhost:8080/unsubscribe/" in str(msg["List-Unsubscribe"])


class Resources(HTMLParser):
    """Everything in the HTML that a mail client would fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.fetched.append(tag)
        for name in ("src", "background", "srcset"):
            if found.get(name):
                self.fetched.append(f"{tag} {name}={found[name]}")
        if "url(" in (found.get("style") or ""):
            self.fetched.append(f"{tag} style url()")


def test_html_loads_nothing_remote(seed_path: Path) -> None:
    code, out, _ = run(str(seed_path), "--format", "html", BOT_PUBLIC_URL=SITE)
    assert code == 0
    html = out.decode()
    assert html.lstrip().lower().startswith("<!doctype html")
    finder = Resources()
    finder.feed(html)
    assert finder.fetched == []
    assert "@import" not in html and "url(" not in html


@pytest.mark.parametrize("topics", [(), ("--topic", "量化"), ("--topic", "NCNN")])
def test_text_part_carries_every_link_of_every_entry(seed_path: Path, topics: tuple[str]) -> None:
    text, _ = parts(eml(seed_path, *topics, BOT_PUBLIC_URL=SITE))
    issue = parse_issue(read_issue_text(seed_path), filename=seed_path.name)
    chosen = select_entries(issue, list(topics[1:]), [], None)
    assert chosen
    for entry in chosen:
        for url in [entry.url, *(link.url for link in extra_links(entry))]:
            if url:
                assert url in text, f"{url} of {entry.title!r} missing"


def test_english_and_text_format(seed_path: Path) -> None:
    code, out, _ = run(str(seed_path), "--lang", "en", "--topic", "量化", "--format", "text")
    assert code == 0
    first = out.decode().splitlines()[0]
    assert first.startswith("Subject: ") and "quantization" in first


def test_out_writes_the_file_and_nothing_when_no_entry_matches(
    seed_path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "digest.eml"
    code, out, _ = run(str(seed_path), "--format", "eml", "--out", str(target))
    assert code == 0 and out.decode().startswith(f"Wrote {target}")
    assert email.message_from_bytes(target.read_bytes(), policy=policy.default)["To"]
    none = tmp_path / "none.eml"
    code, _, err = run(str(seed_path), "--topic", "不存在的主题", "--out", str(none))
    assert code == 0 and "would get no mail" in err and not none.exists()


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (("--format", "json"), {}, "--format json does not apply to --channel email"),
        (("--out", "no/such/folder/x.eml"), {}, "does not exist"),
        ((), {"BOT_MAIL_FROM": "not an address"}, "BOT_MAIL_FROM"),
        ((), {"BOT_PUBLIC_URL": "ftp://x"}, "BOT_PUBLIC_URL"),
        (("--full-text",), {}, "--full-text applies to --channel telegram only"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(
    seed_path: Path, args: tuple[str, ...], env: dict[str, str], said: str
) -> None:
    code, out, err = run(str(seed_path), *args, **env)
    assert code == 2, err
    assert said in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and out == b""


def test_missing_file_and_telegram_eml_are_refused(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "missing.md"))
    assert code == 2 and "Traceback" not in err
    result = CliRunner().invoke(main, ["preview", str(tmp_path / "x.md"), "--format", "eml"])
    assert result.exit_code == 2 and "does not apply to --channel telegram" in result.stderr
