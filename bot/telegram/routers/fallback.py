"""Last router: unknown commands get a hint, stale buttons get "this page has expired".

It is included after every feature router, so it only sees what nobody else handled.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message

from bot.i18n import Lang, t, t_text
from bot.render.text import clip

MAX_SHOWN_COMMAND = 32


async def unknown_command(message: Message, bot: Bot, lang: Lang) -> None:
    text = message.text or message.caption or ""
    head = text.split(maxsplit=1)[0] if text.strip() else ""
    name, _, mention = head[1:].partition("@")
    if message.chat.type != ChatType.PRIVATE:
        # In groups a bare /cmd may be meant for another bot: answer only when addressed.
        me = await bot.me()
        if not mention or not me.username or mention.lower() != me.username.lower():
            return
    elif mention:
        me = await bot.me()
        if me.username and mention.lower() != me.username.lower():
            return
    shown = clip(name, MAX_SHOWN_COMMAND)
    await message.answer(t("telegram.common.unknown_command", lang, command=shown))


async def plain_text(message: Message, lang: Lang) -> None:
    await message.answer(t("telegram.common.plain_text_hint", lang))


async def stale_button(query: CallbackQuery, lang: Lang) -> None:
    await query.answer(t_text("telegram.common.expired", lang), show_alert=True)


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_command, F.text.startswith("/") | F.caption.startswith("/"))
    router.message.register(plain_text, F.chat.type == ChatType.PRIVATE, F.text)
    router.callback_query.register(stale_button)
    return router
