"""E-mail addresses: validated (email-validator, no DNS), normalized, bounded.

:func:`normalize_address` is for subscribers' addresses: one canonical form (lower
case, IDN domains in their ASCII form) so one mailbox is one subscriber, and one
sentence saying what is wrong otherwise. :func:`parse_mailbox` reads a configured
``Name <addr@domain>`` (``BOT_MAIL_FROM``) into an :class:`email.headerregistry.Address`.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.utils import getaddresses
from typing import Final

from email_validator import EmailNotValidError, validate_email

MAX_ADDRESS: Final = 254  # RFC 5321's path limit, less the angle brackets
MAX_LOCAL: Final = 64
MAX_INPUT: Final = 320  # longer input is refused before any parsing
MAX_DISPLAY_NAME: Final = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class AddressError(ValueError):
    """An address that cannot be used, with one sentence a person can act on."""


def normalize_address(raw: str) -> str:
    """``raw`` as the canonical subscriber address, or :class:`AddressError`.

    Surrounding spaces are dropped; the whole address is lower-cased (mailbox names
    are case-insensitive at every provider our readers use, and one reader must not
    subscribe twice by typing a capital letter); an internationalized domain becomes
    its ASCII (punycode) form. Non-ASCII mailbox names are refused: our mail is sent
    without SMTPUTF8.
    """
    text = raw.strip()
    if not text:
        raise AddressError("The e-mail address is empty.")
    if len(text) > MAX_INPUT:
        raise AddressError(f"The e-mail address is too long (at most {MAX_ADDRESS} characters).")
    if _CONTROL.search(text):
        raise AddressError("The e-mail address contains a line break or a control character.")
    try:
        checked = validate_email(
            text, check_deliverability=False, allow_smtputf8=False, allow_display_name=False
        )
    except EmailNotValidError as exc:
        raise AddressError(_sentence(str(exc))) from None
    address = checked.ascii_email or checked.normalized
    if address is None:  # pragma: no cover - email-validator sets one of them
        raise AddressError("The e-mail address is not valid.")
    address = address.lower()
    local, _, _domain = address.rpartition("@")
    if len(local) > MAX_LOCAL:
        raise AddressError(f"The part before the @ is too long (at most {MAX_LOCAL} characters).")
    if len(address) > MAX_ADDRESS:
        raise AddressError(f"The e-mail address is too long (at most {MAX_ADDRESS} characters).")
    return address


def domain_of(address: str) -> str:
    """The domain of a normalized address (for per-domain limits)."""
    return address.rpartition("@")[2].lower()


def _sentence(message: str) -> str:
    message = " ".join(message.split())
    if not message.startswith("The e"):
        message = "The e-mail address is not valid: " + message[:1].lower() + message[1:]
    return message if message.endswith(".") else message + "."


def parse_mailbox(text: str) -> Address:
    """``嵌入式AI简报 <digest@example.org>`` or ``digest@example.org`` as an Address.

    The address part is validated like a subscriber's (but keeps its case); a display
    name with a line break or control character is refused, never folded into a header.
    """
    if _CONTROL.search(text):
        raise AddressError("The sender contains a line break or a control character.")
    found = getaddresses([text.strip()])
    name, spec = found[0] if len(found) == 1 else ("", "")
    if not spec or "@" not in spec:
        raise AddressError(f"{text.strip()!r} is not 'Name <address@domain>' or an address.")
    normalize_address(spec)
    if len(name) > MAX_DISPLAY_NAME:
        raise AddressError(
            f"The sender's name is too long (at most {MAX_DISPLAY_NAME} characters)."
        )
    local, _, domain = spec.rpartition("@")
    return Address(display_name=name, username=local, domain=domain.lower())
