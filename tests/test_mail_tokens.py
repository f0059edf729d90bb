"""Addresses (validated, normalized, bounded, one-sentence errors) and signed tokens
(purpose, expiry, forgery; VERP tokens fit a local part and survive case changes)."""

from __future__ import annotations

import base64
import json
import re

import pytest
from pydantic import SecretStr

from bot.mail.address import AddressError, domain_of, normalize_address, parse_mailbox
from bot.mail.tokens import (
    DAY,
    ExpiredToken,
    ForgedToken,
    TokenError,
    Tokens,
    WrongPurpose,
)

SECRET = SecretStr("a-test-secret-of-enough-length")


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Reader.Name@Example.ORG ", "reader.name@example.org"),
        ("x+tag@sub.example.co.uk", "x+tag@sub.example.co.uk"),
        ("x@bücher.de", "x@xn--bcher-kva.de"),
    ],
)
def test_addresses_are_normalized(raw: str, expected: str) -> None:
    assert normalize_address(raw) == expected
    assert domain_of(expected) == expected.rpartition("@")[2]


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("", "empty"),
        ("no-at-sign", "@-sign"),
        ("a@b", "period"),
        ("a@@b.org", "invalid"),
        ("ü@example.org", "internationalized"),
        ("a" * 65 + "@example.org", "too long"),
        ("a@" + "b" * 300 + ".org", "too long"),
        ("x" * 400, "too long"),
        ("a@example.org\r\nBcc: victim@example.com", "line break"),
        ("Name <a@example.org>", "display name"),
    ],
)
def test_bad_addresses_get_one_sentence(raw: str, words: str) -> None:
    with pytest.raises(AddressError) as caught:
        normalize_address(raw)
    message = str(caught.value)
    assert words in message
    assert message.endswith(".") and "\n" not in message and len(message) < 160


def test_sender_mailbox() -> None:
    sender = parse_mailbox("嵌入式AI简报 <digest@Example.org>")
    assert (sender.display_name, sender.addr_spec) == ("嵌入式AI简报", "digest@example.org")
    assert parse_mailbox("digest@example.org").display_name == ""
    for bad in (
        "a <x@y.org>, b <z@y.org>",
        "Evil\r\nBcc: v@x.org <d@example.org>",
        "Evil\u2028Bcc: v@x.org <d@example.org>",
        "nobody",
    ):
        with pytest.raises(AddressError):
            parse_mailbox(bad)


def test_link_tokens_round_trip_and_are_url_safe() -> None:
    tokens = Tokens(SECRET)
    for purpose in ("confirm", "unsubscribe", "preferences"):
        token = tokens.make(purpose, 42)  # type: ignore[arg-type]
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", token)
        assert tokens.read(purpose, token) == 42  # type: ignore[arg-type]
    assert tokens.read("confirm", tokens.make("confirm", "a@example.org")) == "a@example.org"


def test_forged_tokens_are_refused() -> None:
    tokens = Tokens(SECRET)
    good = tokens.make("unsubscribe", 7)
    other = Tokens(SecretStr("another-secret-entirely-here"))
    flipped = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    for bad in (
        flipped,
        good[:-5],
        other.make("unsubscribe", 7),
        "",
        "x" * 2000,
        "日本.語",
        "a.b.c",
    ):
        with pytest.raises(ForgedToken, match="not valid"):
            tokens.read("unsubscribe", bad)
    # The payload is readable but not changeable: swap the subscriber id, keep the signature.
    payload, rest = good.split(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["s"] = 8
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    with pytest.raises(ForgedToken):
        tokens.read("unsubscribe", f"{forged}.{rest}")


def test_expiry_by_purpose() -> None:
    clock = Clock()
    tokens = Tokens(SECRET, clock=clock)
    confirm = tokens.make("confirm", 1)
    unsubscribe = tokens.make("unsubscribe", 1)
    prefs = tokens.make("preferences", 1)
    clock.now += 3 * DAY - 60
    assert tokens.read("confirm", confirm) == 1
    clock.now += 120
    with pytest.raises(ExpiredToken, match=r"expired .*3 days"):
        tokens.read("confirm", confirm)
    clock.now += 5 * 365 * DAY
    assert tokens.read("unsubscribe", unsubscribe) == 1  # an old mail's link still works
    with pytest.raises(ExpiredToken):
        tokens.read("preferences", prefs)


def test_wrong_purpose_is_refused_clearly() -> None:
    tokens = Tokens(SECRET)
    with pytest.raises(WrongPurpose, match="another page"):
        tokens.read("confirm", tokens.make("unsubscribe", 3))
    assert issubclass(WrongPurpose, TokenError)


def test_secret_is_required_and_never_shown() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        Tokens(SecretStr("short"))
    assert "a-test-secret" not in repr(Tokens(SECRET))


def test_verp_tokens_fit_a_local_part_and_survive_case() -> None:
    clock = Clock()
    tokens = Tokens(SECRET, clock=clock)
    for ident in (0, 1, 123_456, 2**63 - 1):
        address = tokens.verp_address(ident, "example.org")
        local = address.split("@")[0]
        assert re.fullmatch(r"bounces\+[a-z0-9-]+", local) and len(local) <= 64
        assert tokens.read_verp(address) == ident
        assert tokens.read_verp(address.upper()) == ident
        assert tokens.read_verp(f"<{address}>") == ident
        assert tokens.read_verp(local) == ident


def test_verp_forged_and_expired() -> None:
    clock = Clock()
    tokens = Tokens(SECRET, clock=clock)
    address = tokens.verp_address(5, "example.org")
    ident, day, mac = address.split("@")[0].removeprefix("bounces+").split("-")
    for bad in (
        f"bounces+6-{day}-{mac}@example.org",  # another subscriber, same signature
        f"bounces+{ident}-{day}-{'a' * 16}@example.org",
        "bounces+abc@example.org",
        "postmaster@example.org",
        Tokens(SecretStr("another-secret-entirely-here")).verp_address(5, "example.org"),
    ):
        with pytest.raises(ForgedToken):
            tokens.read_verp(bad)
    clock.now += 29 * DAY
    assert tokens.read_verp(address) == 5
    clock.now += 3 * DAY
    with pytest.raises(ExpiredToken):
        tokens.read_verp(address)
