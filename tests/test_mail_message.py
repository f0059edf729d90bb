"""MIME messages: 7-bit transfer encodings only, the bulk-sender headers, deterministic
Message-IDs, VERP, header injection refused, DKIM signatures that dkimpy verifies."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import dkim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.digest.model import Issue
from bot.mail.address import AddressError
from bot.mail.dkim import SIGNED, DkimError, DkimSigner
from bot.mail.message import HeaderError, Outgoing, Sender, build_message, make_message_id
from bot.mail.tokens import Tokens
from bot.render.email import RenderedMail, render_confirm_email, render_email_digest
from tests.support.dkim import DkimKey

TOKENS = Tokens(SecretStr("a-test-secret-of-enough-length"))
UNSUB = "https://digest.example.org/unsubscribe/tok"
MAILTO = "mailto:unsubscribe+tok@example.org?subject=unsubscribe"


def digest_mail(issue: Issue, lang: str = "zh") -> RenderedMail:
    mail = render_email_digest(
        issue,
        lang=lang,
        address="reader@example.com",
        unsubscribe_url=UNSUB,
        preferences_url="https://digest.example.org/preferences/tok",
        include=["量化"],
    )
    assert mail is not None
    return mail


def build(mail: RenderedMail, **kw: object) -> Outgoing:
    args: dict[str, object] = {
        "sender": Sender.parse("嵌入式AI简报 <digest@example.org>", "editor@example.org"),
        "to": "reader@example.com",
        "message_id": make_message_id("digest", "2023-04-10", 7, "example.org"),
        "envelope_sender": TOKENS.verp_address(7, "example.org"),
        "unsubscribe_url": UNSUB,
        "unsubscribe_mailto": MAILTO,
        "date": datetime(2023, 4, 10, 8, 0, tzinfo=UTC),
    }
    args.update(kw)
    return build_message(mail, **args)  # type: ignore[arg-type]


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_multipart_alternative_and_never_8bit(shapes_issue: Issue) -> None:
    mail = digest_mail(shapes_issue)
    out = build(mail)
    data = out.data
    assert all(byte < 128 for byte in data), "the whole message is 7-bit"
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")
    msg = parse(data)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for part in parts:
        assert part["Content-Transfer-Encoding"] in ("base64", "quoted-printable")
    assert parts[0].get_content().replace("\r\n", "\n").rstrip() == mail.text.rstrip()
    assert parts[1].get_content().replace("\r\n", "\n").rstrip() == mail.html.rstrip()


def test_headers(shapes_issue: Issue) -> None:
    mail = digest_mail(shapes_issue)
    out = build(mail)
    msg = parse(out.data)
    assert str(msg["Subject"]) == mail.subject == "嵌入式AI简报 · 2023-04-10 · 量化 2 条"
    assert msg["From"].addresses[0].display_name == "嵌入式AI简报"
    assert msg["From"].addresses[0].addr_spec == "digest@example.org"
    assert msg["Reply-To"].addresses[0].addr_spec == "editor@example.org"
    assert msg["To"].addresses[0].addr_spec == "reader@example.com"
    assert msg["Date"].datetime == datetime(2023, 4, 10, 8, 0, tzinfo=UTC)
    assert str(msg["List-Id"]).endswith("<digest.example.org>")
    assert str(msg["List-Unsubscribe"]) == f"<{UNSUB}>, <{MAILTO}>"
    assert str(msg["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert str(msg["Return-Path"]) == f"<{out.envelope_sender}>"
    assert out.envelope_sender.startswith("bounces+") and out.recipient == "reader@example.com"
    assert TOKENS.read_verp(out.envelope_sender) == 7
    assert str(msg["Message-ID"]) == out.message_id


def test_message_id_is_deterministic_per_issue_subscriber_and_kind() -> None:
    first = make_message_id("digest", "2023-04-10", 7, "example.org")
    assert first == make_message_id("digest", "2023-04-10", 7, "example.org")
    others = {
        make_message_id("digest", "2023-04-11", 7, "example.org"),
        make_message_id("digest", "2023-04-10", 8, "example.org"),
        make_message_id("confirm", "2023-04-10", 7, "example.org"),
    }
    assert first not in others and len(others) == 3
    assert first.startswith("<digest.") and first.endswith("@example.org>")
    with pytest.raises(HeaderError):
        make_message_id("Digest\r\nBcc: x", "i", 1, "example.org")


def test_confirmation_mail_has_no_list_unsubscribe() -> None:
    mail = render_confirm_email(
        lang="en", address="new@example.com", confirm_url="https://d.example.org/confirm/t"
    )
    msg = parse(build(mail, unsubscribe_url=None, unsubscribe_mailto=None).data)
    assert msg["List-Unsubscribe"] is None and msg["List-Unsubscribe-Post"] is None
    assert msg["Subject"] == "Confirm your subscription to the Embedded AI digest"
    with pytest.raises(HeaderError, match="both"):
        build(mail, unsubscribe_mailto=None)


@pytest.mark.parametrize(
    "hostile",
    [
        "Evil\r\nBcc: victim@example.net",
        "Evil\nBcc: victim@example.net",
        "Evil\rBcc: victim@example.net",
    ],
)
def test_crlf_in_names_and_subjects_is_refused(shapes_issue: Issue, hostile: str) -> None:
    mail = digest_mail(shapes_issue)
    with pytest.raises(AddressError):
        Sender.parse(f"{hostile} <digest@example.org>")
    with pytest.raises(HeaderError):
        build(mail, to_name=hostile)
    bad_subject = RenderedMail(hostile, mail.html, mail.text, mail.preheader)
    with pytest.raises(HeaderError, match="subject"):
        build(bad_subject)
    with pytest.raises(HeaderError):
        build(mail, unsubscribe_url=UNSUB + "\r\nBcc: victim@example.net")
    with pytest.raises(HeaderError):
        build(mail, to="reader@example.com\r\nBcc: victim@example.net")


def test_hostile_names_without_line_breaks_stay_one_header(shapes_issue: Issue) -> None:
    mail = digest_mail(shapes_issue)
    name = 'Evil", Bcc: victim@example.net <x@y.z> ' + "名字" * 40
    subject = "Bcc: victim@example.net, " + "很长的标题" * 30
    sender = Sender.parse('"Quoted, Name <fake@evil.example>" <digest@example.org>')
    out = build(RenderedMail(subject, mail.html, mail.text, ""), to_name=name, sender=sender)
    msg = parse(out.data)
    assert msg["Bcc"] is None and msg["Cc"] is None
    assert [a.addr_spec for a in msg["To"].addresses] == ["reader@example.com"]
    # (the stdlib reads a space between adjacent encoded words; the name is otherwise intact)
    assert msg["To"].addresses[0].display_name.replace(" ", "") == name.replace(" ", "")
    assert [a.addr_spec for a in msg["From"].addresses] == ["digest@example.org"]
    assert str(msg["Subject"]) == subject
    assert all(len(line) <= 78 for line in out.data.split(b"\r\n\r\n")[0].split(b"\r\n"))


def test_bad_unsubscribe_uris_are_refused(shapes_issue: Issue) -> None:
    mail = digest_mail(shapes_issue)
    for url in ("http://plain.example.org/u", "https://x.org/a b", "https://x.org/>,<mailto:x"):
        with pytest.raises(HeaderError):
            build(mail, unsubscribe_url=url)
    with pytest.raises(HeaderError):
        build(mail, unsubscribe_mailto="https://not-mailto.example.org")
    # plain http only on this machine (tests, `bot demo`), never for a public host
    local = build(mail, unsubscribe_url="http://127.0.0.1:8080/unsubscribe/tok")
    assert "<http://127.0.0.1:8080/unsubscribe/tok>" in str(local.message["List-Unsubscribe"])
    with pytest.raises(HeaderError):
        build(mail, unsubscribe_url="http://127.0.0.1.evil.example/u")


def test_dkim_signature_verifies_and_covers_rfc8058(shapes_issue: Issue, dkim_key: DkimKey) -> None:
    path, record = dkim_key
    signer = DkimSigner.from_file("mail2026", "example.org", path)
    out = build(digest_mail(shapes_issue))
    signed = out.payload(signer)
    asked: list[bytes] = []

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes:
        asked.append(name)
        return record if name == b"mail2026._domainkey.example.org." else b""

    assert dkim.verify(signed, dnsfunc=dnsfunc)
    assert asked == [b"mail2026._domainkey.example.org."]
    header = parse(signed)["DKIM-Signature"]
    tags = {k.strip(): v.strip() for k, v in (x.split("=", 1) for x in str(header).split(";"))}
    signed_headers = {h.strip().lower() for h in tags["h"].replace(" ", "").split(":")}
    assert {"list-unsubscribe", "list-unsubscribe-post", "list-id", "from", "to", "subject",
            "date", "message-id"} <= signed_headers  # fmt: skip
    assert {h.decode() for h in SIGNED} <= signed_headers
    assert tags["d"] == "example.org" and tags["s"] == "mail2026"
    # A changed List-Unsubscribe-Post (or body) breaks the signature.
    tampered = signed.replace(b"List-Unsubscribe=One-Click", b"List-Unsubscribe=Never")
    assert not dkim.verify(tampered, dnsfunc=dnsfunc)
    assert out.payload(None) == out.data


def test_dkim_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(DkimError, match="cannot read"):
        DkimSigner.from_file("s1", "example.org", tmp_path / "missing.pem")
    (tmp_path / "bad.pem").write_text("not a key")
    with pytest.raises(DkimError, match="PEM"):
        DkimSigner.from_file("s1", "example.org", tmp_path / "bad.pem")
    with pytest.raises(DkimError, match="selector"):
        DkimSigner("bad selector", "example.org", b"-----BEGIN PRIVATE KEY-----")


@settings(max_examples=80, deadline=None)
@given(
    name=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60),
    subject=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120),
)
def test_any_name_or_subject_is_refused_or_stays_in_its_header(name: str, subject: str) -> None:
    mail = RenderedMail(subject, "<p>x</p>", "x\n", "")
    try:
        out = build(mail, to_name=name)
        data = out.data
    except HeaderError:
        assert re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", name + subject)
        return
    assert all(byte < 128 for byte in data)
    msg = parse(data)
    names = {k.lower() for k in msg}
    assert names == {
        "from", "to", "reply-to", "subject", "date", "message-id", "list-id",
        "list-unsubscribe", "list-unsubscribe-post", "return-path", "mime-version",
        "content-type",
    }  # fmt: skip
    assert [a.addr_spec for a in msg["To"].addresses] == ["reader@example.com"]


def test_a_long_signed_unsubscribe_url_stays_a_readable_uri(shapes_issue: Issue) -> None:
    """A real token makes the URL longer than a folded line: it must not become RFC 2047
    encoded-words (=?utf-8?q?…?=), which Gmail's unsubscribe button cannot read."""
    long_url = "https://digest.example.org/unsubscribe/" + "eyJwIjoidW5zdWJzY3JpYmUi" * 4
    out = build(digest_mail(shapes_issue), unsubscribe_url=long_url)
    raw = out.data.decode("ascii")
    assert f"List-Unsubscribe: <{long_url}>,\r\n <{MAILTO}>\r\n" in raw
    assert "=?utf-8?" not in raw.split("List-Unsubscribe:")[1].split("\r\nList-")[0]
    assert long_url in str(parse(out.data)["List-Unsubscribe"])
