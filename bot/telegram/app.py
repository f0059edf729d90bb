"""Building the Bot and the Dispatcher; no module globals hold a token or a connection.

``build_dispatcher`` wires middlewares and one router per feature, and passes
every dependency as workflow data (``db``, ``settings``, caches), so handlers
get them as keyword arguments. The caller owns the database connection.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.config import TELEGRAM_API, Settings, SettingsError
from bot.delivery.client import RedactingSession
from bot.delivery.errors import Kind, classify
from bot.delivery.outbound import SharedLimiter
from bot.delivery.ratelimit import Limits
from bot.i18n import LANGS, Lang, t_text
from bot.logs import register_secret
from bot.store.database import Database
from bot.telegram.callbacks import TokenCache
from bot.telegram.context import ContextMiddleware
from bot.telegram.errors import on_error
from bot.telegram.outbound import OutboundMiddleware
from bot.telegram.permissions import AdminCache, PermissionMiddleware
from bot.telegram.registry import COMMANDS, public_commands
from bot.telegram.routers import (
    admin,
    channels,
    fallback,
    issues,
    prefs,
    search,
    start,
    topics,
)
from bot.telegram.throttle import Throttle, ThrottleMiddleware

log = logging.getLogger(__name__)


def interactive_limits(settings: Settings) -> Limits:
    """Telegram's limits at ``BOT_RATE``; a chat may get a small burst (a reply in parts)."""
    return Limits(global_per_s=settings.rate, chat_burst=2.0)


def build_bot(settings: Settings, limiter: SharedLimiter | None = None) -> Bot:
    """A Bot speaking HTML to ``BOT_API_BASE`` (Telegram, or the emulator).

    Every call it makes leaves through the outbound path (``bot.telegram.outbound``):
    paced by ``limiter`` (by default one of its own at :func:`interactive_limits`; `bot
    run` shares it with the sender), and made again after a 429's ``retry_after``.
    """
    if settings.token is None:
        raise SettingsError("BOT_TOKEN is not set (get one from @BotFather)")
    register_secret(settings.token.get_secret_value())
    api = settings.api_base.rstrip("/")
    if api == TELEGRAM_API:
        session = RedactingSession()
    else:
        session = RedactingSession(api=TelegramAPIServer.from_base(api))
    session.middleware(OutboundMiddleware(limiter or SharedLimiter(interactive_limits(settings))))
    return Bot(
        settings.token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def build_dispatcher(
    db: Database,
    settings: Settings,
    *,
    throttle: Throttle | None = None,
    admin_cache: AdminCache | None = None,
    **extra: Any,
) -> Dispatcher:
    """The Dispatcher with every feature router; ``extra`` becomes workflow data too."""
    dp = Dispatcher(
        db=db,
        settings=settings,
        admin_cache=admin_cache or AdminCache(),
        pages=TokenCache[str](),
        uploads=TokenCache[admin.Upload](ttl=3600, size=50),
        **extra,
    )
    flood = ThrottleMiddleware(throttle or Throttle())
    context = ContextMiddleware()
    for observer in (dp.message, dp.callback_query):
        observer.outer_middleware(flood)
        observer.outer_middleware(context)
        observer.middleware(PermissionMiddleware())
    dp.include_routers(
        start.build_router(),
        topics.build_router(),
        search.build_router(),
        issues.build_router(),
        prefs.build_router(),
        channels.build_router(),
        admin.build_router(),
        fallback.build_router(),  # last: only what nobody else handled
    )
    dp.errors.register(on_error)
    dp.startup.register(set_commands)
    return dp


def menu(lang: Lang, *, for_admins: bool = False) -> list[BotCommand]:
    """The command menu in ``lang``: descriptions are the catalogue's ``commands.<name>``."""
    names = [s.name for s in COMMANDS] if for_admins else public_commands()
    return [BotCommand(command=n, description=t_text(f"commands.{n}", lang)) for n in names]


MENU_RETRIES = (0.5, 1.0, 2.0)  # waits after a passing failure; then the menu is skipped


async def set_commands(bot: Bot, settings: Settings) -> None:
    """Menus: English by default, Chinese for zh clients, all commands for BOT_ADMINS.

    Menus are a convenience: a passing failure (5xx, a proxy's 502 page, a dropped
    connection) is retried a few times; failing to set one is logged, and the bot
    still starts.
    """
    scopes: list[tuple[BotCommandScopeDefault | BotCommandScopeChat, bool]] = [
        (BotCommandScopeDefault(), False)
    ]
    scopes += [(BotCommandScopeChat(chat_id=a), True) for a in sorted(settings.admins)]
    for scope, for_admins in scopes:
        for lang in LANGS:
            commands = menu(lang, for_admins=for_admins)
            code = None if lang == "en" else lang
            for delay in (*MENU_RETRIES, None):
                try:
                    await bot.set_my_commands(commands, scope=scope, language_code=code)
                    break
                except Exception as exc:
                    failure = classify(exc)
                    if failure is None:
                        raise
                    if failure.kind in (Kind.TRANSIENT, Kind.FLOOD) and delay is not None:
                        log.warning("command menu: %s; retrying in %s s", failure.reason, delay)
                        await asyncio.sleep(max(delay, failure.retry_after))
                        continue
                    # e.g. an admin who never started the bot
                    log.warning("command menu for %s not set: %s", scope.type, failure.reason)
                    break
