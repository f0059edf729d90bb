"""The emulator's moving parts, shared by the Bot API and the control API."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.emulator.config import EmulatorConfig
from bot.emulator.errors import ApiError, bad_request, forbidden, too_many_requests
from bot.emulator.faults import FaultInjector
from bot.emulator.flood import FloodLimiter
from bot.emulator.queue import UpdateQueue
from bot.emulator.state import Chat, State
from bot.emulator.webhook import Webhook

_KICKED = {
    "private": "bot was blocked by the user",
    "group": "bot was kicked from the group chat",
    "supergroup": "bot was kicked from the supergroup chat",
    "channel": "bot is not a member of the channel chat",
}


@dataclass(slots=True)
class Runtime:
    config: EmulatorConfig
    initial: EmulatorConfig
    state: State = field(default_factory=State)
    queue: UpdateQueue = field(default_factory=UpdateQueue)
    limiter: FloodLimiter = field(init=False)
    faults: FaultInjector = field(init=False)
    webhook: Webhook | None = None
    bot_id: int = 0  # from the token of the latest Bot API call

    def __post_init__(self) -> None:
        self.limiter = FloodLimiter(self.config)
        self.faults = FaultInjector(self.config)

    def reset(self) -> None:
        """Forget everything and go back to the configuration the emulator started with."""
        for key in self.initial.tunables():
            setattr(self.config, key, getattr(self.initial, key))
        self.state = State()
        self.queue.drop_pending()
        self.queue.allowed = None
        self.queue.next_id = 1
        self.limiter = FloodLimiter(self.config)
        self.faults = FaultInjector(self.config)

    def webhook_active(self) -> bool:
        return self.webhook is not None and self.webhook.active

    def chat(self, ref: int | str) -> Chat:
        chat = self.state.chat_by_ref(ref)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def writable_chat(self, ref: int | str) -> Chat:
        """The chat, or Telegram's refusal when the bot may not write there."""
        chat = self.chat(ref)
        if chat.migrate_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrate_to},
            )
        if chat.blocked or chat.bot_member_status == "left":
            raise forbidden(_KICKED[chat.type])
        return chat

    def flood(self, chat: Chat) -> None:
        retry_after = self.limiter.check(chat.id, chat.is_group)
        if retry_after:
            raise too_many_requests(retry_after)
