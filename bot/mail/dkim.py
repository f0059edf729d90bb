"""DKIM signatures (dkimpy) over the headers that matter, including RFC 8058's pair.

dkimpy's default header list omits ``List-Unsubscribe-Post``; RFC 8058 requires both
``List-Unsubscribe`` and ``List-Unsubscribe-Post`` to be covered, so :data:`SIGNED`
is passed explicitly. A header in the list but absent from a message (``Reply-To``) is
signed as absent: nobody can add it later without breaking the signature.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import dkim

SIGNED: Final[tuple[bytes, ...]] = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"list-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
)
_SELECTOR = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9][A-Za-z0-9-]{0,62})*$")


class DkimError(ValueError):
    """The DKIM key or selector cannot be used (one sentence why)."""


class DkimSigner:
    """Signs messages for ``domain`` with the private key of ``selector._domainkey.domain``."""

    def __init__(self, selector: str, domain: str, private_key: bytes) -> None:
        if not _SELECTOR.match(selector):
            raise DkimError(f"the DKIM selector {selector!r} is not a DNS label")
        if b"PRIVATE KEY" not in private_key:
            raise DkimError("the DKIM key must be a PEM private key (BEGIN ... PRIVATE KEY)")
        self.selector = selector
        self.domain = domain.lower()
        self._key = private_key

    def __repr__(self) -> str:
        return f"DkimSigner(selector={self.selector!r}, domain={self.domain!r})"

    @classmethod
    def from_file(cls, selector: str, domain: str, path: Path) -> DkimSigner:
        """The signer for ``BOT_DKIM_SELECTOR`` / ``BOT_DKIM_KEY_FILE``."""
        try:
            key = path.read_bytes()
        except OSError as exc:
            raise DkimError(f"cannot read the DKIM key file {path}: {exc.strerror}") from None
        return cls(selector, domain, key)

    def signature(self, data: bytes) -> bytes:
        """The ``DKIM-Signature:`` header line(s) for ``data`` (a whole message, CRLF)."""
        try:
            header: bytes = dkim.sign(
                data,
                self.selector.encode("ascii"),
                self.domain.encode("ascii"),
                self._key,
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=list(SIGNED),
                linesep=b"\r\n",
            )
        except dkim.DKIMException as exc:
            raise DkimError(f"DKIM signing failed: {exc}") from None
        return header

    def sign(self, data: bytes) -> bytes:
        """``data`` with its DKIM-Signature header prepended (the bytes to send)."""
        return self.signature(data) + data
