"""The Telegram side of the bot (aiogram): routers, middlewares, keyboards, texts.

Importing this package costs aiogram's import time; only `bot run`, `bot demo`
and the tests do it.
"""
