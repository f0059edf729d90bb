"""Signed, expiring tokens for the links in our mails and for VERP bounce addresses.

Link tokens (``confirm``, ``unsubscribe``, ``preferences``) are itsdangerous
``URLSafeTimedSerializer`` tokens over ``{"p": purpose, "s": subject}``: the purpose is
inside the signed payload, so a token made for one purpose is refused by another with
its own error (not a vague "bad signature"), and each purpose has its own lifetime:

- ``confirm``: 3 days (the double opt-in link; Mailman keeps pending confirmations as long);
- ``unsubscribe``: never expires — an unsubscribe link in an old mail must keep working
  (RFC 8058; Gmail and Yahoo require it);
- ``preferences``: about 13 months, long enough for any mail still read.

VERP tokens identify the subscriber of a bounce from the envelope recipient
``bounces+<token>@domain``. They must fit a local part (at most 64 characters with the
prefix) and survive MTAs that change its case, so they are not itsdangerous' base64:
``<subscriber id in base 36>-<issued day in base 36>-<80-bit HMAC in base 32>``, all
lower case, keyed with itsdangerous' key derivation from the same secret (its own salt).
They live 30 days: DSNs arrive after the sending MTA gives up (postfix: 5 days).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from typing import Final, Literal, get_args

from itsdangerous import BadData, BadSignature, Signer, TimestampSigner, URLSafeTimedSerializer
from pydantic import SecretStr

Purpose = Literal["confirm", "unsubscribe", "preferences"]
PURPOSES: Final[tuple[Purpose, ...]] = get_args(Purpose)
DAY: Final = 86_400
MAX_AGE: Final[dict[Purpose, int | None]] = {
    "confirm": 3 * DAY,
    "unsubscribe": None,
    "preferences": 400 * DAY,
}
VERP_MAX_AGE: Final = 30 * DAY
VERP_PREFIX: Final = "bounces+"
MIN_SECRET: Final = 16
_SALT: Final = "bot.mail.link"
_VERP_SALT: Final = "bot.mail.verp"
_VERP_TOKEN: Final = re.compile(r"^([0-9a-z]{1,13})-([0-9a-z]{1,8})-([a-z2-7]{16})$")


class TokenError(ValueError):
    """A token we cannot honour; ``str()`` is one sentence for the reader."""


class ForgedToken(TokenError):
    """Not made by us (changed, truncated, or made with another secret)."""


class ExpiredToken(TokenError):
    """Made by us, but older than its purpose allows."""


class WrongPurpose(TokenError):
    """Made by us for another purpose (an unsubscribe token at the confirmation page)."""


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


class Tokens:
    """Makes and reads tokens with ``secret`` (``BOT_SECRET_KEY``); ``clock`` is for tests."""

    def __init__(self, secret: SecretStr, *, clock: Callable[[], float] = time.time) -> None:
        key = secret.get_secret_value()
        if len(key) < MIN_SECRET:
            raise ValueError(f"the secret key must be at least {MIN_SECRET} characters long")
        self._clock = clock

        class _Stamped(TimestampSigner):
            # itsdangerous stamps with time.time(); ours stamps with the (test) clock.
            def get_timestamp(self) -> int:
                return int(clock())

        self._serializer = URLSafeTimedSerializer(
            key, salt=_SALT, signer=_Stamped, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self._verp_key = Signer(key, salt=_VERP_SALT, digest_method=hashlib.sha256).derive_key()

    def __repr__(self) -> str:
        return "Tokens(secret=**********)"

    # -- link tokens --------------------------------------------------------------------

    def make(self, purpose: Purpose, subject: int | str) -> str:
        """A URL-safe token saying "``purpose`` for ``subject``" (a subscriber id or address)."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown token purpose {purpose!r}")
        token = self._serializer.dumps({"p": purpose, "s": subject})
        return token if isinstance(token, str) else token.decode("ascii")

    def read(self, purpose: Purpose, token: str) -> int | str:
        """The subject of a token made for ``purpose``, or :class:`TokenError`."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown token purpose {purpose!r}")
        if not token or len(token) > 1000 or not token.isascii():
            raise ForgedToken("This link is not valid: it is incomplete or was changed.")
        try:
            data, stamped = self._serializer.loads(token, return_timestamp=True)
        except BadSignature:
            raise ForgedToken("This link is not valid: it is incomplete or was changed.") from None
        except BadData:
            raise ForgedToken("This link is not valid: it could not be read.") from None
        if not isinstance(data, dict) or data.get("p") not in PURPOSES:
            raise ForgedToken("This link is not valid: it could not be read.")
        if data["p"] != purpose:
            raise WrongPurpose(f"This link is for another page ({data['p']}), not this one.")
        limit = MAX_AGE[purpose]
        if limit is not None and self._clock() - stamped.timestamp() > limit:
            raise ExpiredToken(
                f"This link has expired (it was valid for {limit // DAY} days); "
                "please ask for a new one."
            )
        subject = data.get("s")
        if not isinstance(subject, int | str) or isinstance(subject, bool):
            raise ForgedToken("This link is not valid: it could not be read.")
        return subject

    # -- VERP -----------------------------------------------------------------------------

    def _verp_mac(self, body: str) -> str:
        digest = hmac.new(self._verp_key, body.encode("ascii"), hashlib.sha256).digest()
        return base64.b32encode(digest[:10]).decode("ascii").lower()

    def verp_token(self, subscriber_id: int) -> str:
        """``<id>-<day>-<mac>``: lower-case letters, digits and ``-`` only (≤ 39 characters)."""
        if subscriber_id < 0 or subscriber_id >= 36**13:
            raise ValueError("a VERP subscriber id must be a non-negative 64-bit integer")
        body = f"{_b36(subscriber_id)}-{_b36(int(self._clock()) // DAY)}"
        return f"{body}-{self._verp_mac(body)}"

    def verp_address(self, subscriber_id: int, domain: str) -> str:
        """The envelope sender of a mail to this subscriber: ``bounces+<token>@domain``."""
        return f"{VERP_PREFIX}{self.verp_token(subscriber_id)}@{domain}"

    def read_verp(self, address: str, *, expires: bool = True) -> int:
        """The subscriber id in a VERP address (or its local part, or the bare token).

        Case-insensitive (some MTAs change the case of local parts); refuses forged and
        expired tokens with :class:`TokenError` (``expires=False``: an old token of ours
        still counts — an unsubscribe request by mail, like the https unsubscribe link,
        must work from any digest the reader kept).
        """
        token = address.strip().strip("<>").rpartition("@")[0] or address.strip().strip("<>")
        token = token.lower()
        if token.startswith(VERP_PREFIX):
            token = token[len(VERP_PREFIX) :]
        match = _VERP_TOKEN.match(token)
        if not match:
            raise ForgedToken("not a VERP bounce address of ours")
        ident, day, mac = match.groups()
        if not hmac.compare_digest(mac, self._verp_mac(f"{ident}-{day}")):
            raise ForgedToken("the VERP bounce address was not signed by us")
        if expires and self._clock() - int(day, 36) * DAY > VERP_MAX_AGE + DAY:
            raise ExpiredToken("the VERP bounce address has expired")
        return int(ident, 36)
