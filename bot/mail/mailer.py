"""What sending our mail needs, built once from the settings: :class:`Mailer`.

It sits in ``bot.mail`` (below ``bot.delivery``) so the opt-in flow
(``bot.publishing.optin``), the digest sender (``bot.delivery.email_sender``) and the
CLI share one object: the From/List-Id, ONE :class:`~bot.mail.smtp.SmtpPool` (so one
``BOT_MAIL_RATE`` for every worker), the token maker, the public base URL and the DKIM
signer when a key is configured.
"""

from __future__ import annotations

from bot.config import Settings
from bot.mail.address import AddressError
from bot.mail.dkim import DkimError, DkimSigner
from bot.mail.message import Sender
from bot.mail.smtp import SmtpPool, SmtpUrl, SmtpUrlError
from bot.mail.tokens import Purpose, Tokens

# The site's page for each link purpose: ``<BOT_PUBLIC_URL>/<path>/<token>``.
LINK_PATHS: dict[Purpose, str] = {
    "confirm": "confirm",
    "unsubscribe": "unsubscribe",
    "preferences": "prefs",
}


def link_path(tokens: Tokens, purpose: Purpose, subscriber_id: int, base: str = "") -> str:
    """``<base>/<page>/<signed token>`` for a subscriber (``base`` empty: a site path)."""
    return f"{base}/{LINK_PATHS[purpose]}/{tokens.make(purpose, subscriber_id)}"


class MailerError(Exception):
    """E-mail cannot be sent with these settings (one sentence naming what is missing)."""


class Mailer:
    """The sender identity, the SMTP pool, the link tokens and the public base URL."""

    def __init__(
        self,
        *,
        sender: Sender,
        pool: SmtpPool,
        tokens: Tokens,
        public_url: str,
        signer: DkimSigner | None = None,
    ) -> None:
        self.sender = sender
        self.pool = pool
        self.tokens = tokens
        self.public_url = public_url.rstrip("/")
        self.signer = signer

    @classmethod
    def from_settings(cls, settings: Settings, *, pool_size: int = 1) -> Mailer:
        """The mailer for ``settings``, or :class:`MailerError` naming what is missing.

        ``pool_size``: SMTP connections kept open (1 for a command, a few for the sender).
        """
        if settings.smtp_url is None:
            raise MailerError("e-mail is off: set BOT_SMTP_URL (see deploy/.env.example)")
        if settings.secret_key is None:
            raise MailerError("BOT_SECRET_KEY is not set: it signs the links in mails")
        if settings.public_url is None:
            raise MailerError("BOT_PUBLIC_URL is not set: the links in mails point to it")
        try:
            url = SmtpUrl.parse(settings.smtp_url.get_secret_value())
            sender = Sender.parse(settings.mail_from, settings.mail_reply_to)
            signer = None
            if settings.dkim_selector and settings.dkim_key_file:
                signer = DkimSigner.from_file(
                    settings.dkim_selector, sender.domain, settings.dkim_key_file
                )
        except (SmtpUrlError, AddressError, DkimError) as exc:
            raise MailerError(str(exc).rstrip(".")) from None
        return cls(
            sender=sender,
            pool=SmtpPool(url, size=pool_size, rate=settings.mail_rate),
            tokens=Tokens(settings.secret_key),
            public_url=settings.public_url,
            signer=signer,
        )

    def link(self, purpose: Purpose, subscriber_id: int) -> str:
        """The absolute link of a mail: confirm, unsubscribe, or the preferences page
        (``/prefs/<token>``, which every digest mail's footer links to)."""
        return link_path(self.tokens, purpose, subscriber_id, self.public_url)

    def unsubscribe_mailto(self, subscriber_id: int) -> str:
        """The mailto half of List-Unsubscribe: a mail to the VERP address, subject
        ``unsubscribe`` (the bounce receiver reads the subscriber from the address)."""
        address = self.tokens.verp_address(subscriber_id, self.sender.domain)
        return f"mailto:{address}?subject=unsubscribe"

    async def close(self) -> None:
        await self.pool.close()
