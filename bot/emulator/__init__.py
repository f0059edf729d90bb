"""A local Telegram Bot API emulator (aiohttp) that refuses what Telegram refuses.

``from bot.emulator import Emulator, EmulatorConfig`` loads the server on first
use only, so ``bot.emulator.html`` (the HTML parser renderers validate against)
stays importable without aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.emulator.config import EmulatorConfig
    from bot.emulator.server import Emulator

__all__ = ["Emulator", "EmulatorConfig"]
_LAZY = {"Emulator": "bot.emulator.server", "EmulatorConfig": "bot.emulator.config"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bot.emulator' has no attribute {name!r}")
