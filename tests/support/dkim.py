"""A DKIM key for tests: one fresh 2048-bit RSA key per session, made with openssl, and
the TXT record a DNS server would publish for it."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest


class DkimKey(NamedTuple):
    path: Path  # the private key, PEM
    record: bytes  # its DKIM TXT record: b"v=DKIM1; k=rsa; p=..."


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> DkimKey:
    """A fresh 2048-bit RSA key (PEM path) and its DKIM TXT record."""
    key = tmp_path_factory.mktemp("dkim") / "dkim.pem"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
         "-out", str(key)],
        check=True, capture_output=True,
    )  # fmt: skip
    der = subprocess.run(
        ["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return DkimKey(key, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der))
