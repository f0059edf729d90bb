"""The public web site: the archive, its search and its feeds, over the same store,
search engine, i18n catalogue and templates as the Telegram channel.

:func:`build_app` makes the aiohttp application; `bot run` serves it on ``BOT_LISTEN``
beside ``/healthz`` and the webhook (bot.run.updates). Read-only: every handler reads on
``db.reader``. No aiogram here (an import-linter contract).
"""

from __future__ import annotations

from bot.web.app import build_app

__all__ = ["build_app"]
