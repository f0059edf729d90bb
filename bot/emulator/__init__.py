"""A local Telegram Bot API emulator (aiohttp) that refuses what Telegram refuses.

Import the server from ``bot.emulator.server``; ``bot.emulator.html`` is kept free
of aiohttp so that renderers can validate their HTML without the server.
"""
