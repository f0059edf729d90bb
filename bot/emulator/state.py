"""What the emulator remembers: chats, the bot's messages, files, stats."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

CHAT_TYPES = ("private", "group", "supergroup", "channel")
BOT_STATUSES = ("administrator", "member", "left")


@dataclass(slots=True)
class Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    language_code: str | None = None
    admins: set[int] = field(default_factory=set)
    blocked: bool = False
    migrate_to: int | None = None
    last_message_id: int = 0
    bot_status: str = ""  # "" = the usual: administrator of a channel, member elsewhere

    @property
    def bot_member_status(self) -> str:
        """The bot's own membership (a bot is always an administrator in a channel it
        is in; ``left``: the bot is not in the chat at all)."""
        if self.bot_status:
            return self.bot_status
        return "administrator" if self.type == "channel" else "member"

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def to_api(self) -> dict[str, Any]:
        """The Chat object Telegram puts into messages."""
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.title or f"User {self.id}"
        else:
            chat["title"] = self.title or f"Chat {self.id}"
        if self.username:
            chat["username"] = self.username
        return chat

    def to_control(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "username": self.username,
            "language_code": self.language_code,
            "admins": sorted(self.admins),
            "blocked": self.blocked,
            "migrate_to": self.migrate_to,
            "bot_status": self.bot_member_status,
        }


@dataclass(slots=True)
class Version:
    text: str
    plain: str
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    date: int

    def to_control(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "plain": self.plain,
            "entities": self.entities,
            "reply_markup": self.reply_markup,
            "date": self.date,
        }


@dataclass(slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_name: str
    mime_type: str
    content: bytes
    file_path: str

    def to_document(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }


@dataclass(slots=True)
class Message:
    """A message in a chat: sent by the bot (``from_bot``) or by a simulated user."""

    chat: Chat
    message_id: int
    from_bot: bool
    user_id: int
    current: Version
    seq: int
    thread_id: int | None = None
    document: StoredFile | None = None
    edits: list[Version] = field(default_factory=list)
    deleted: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    reply_to: Message | None = None

    def button_data(self) -> set[str]:
        markup = self.current.reply_markup or {}
        rows = markup.get("inline_keyboard") or []
        return {b["callback_data"] for row in rows for b in row if "callback_data" in b}

    def to_control(self) -> dict[str, Any]:
        version = self.current
        return {
            "chat_id": self.chat.id,
            "message_id": self.message_id,
            "text": version.text,
            "plain": version.plain,
            "entities": version.entities,
            "reply_markup": version.reply_markup,
            "edits": [edit.to_control() for edit in self.edits],
            "deleted": self.deleted,
            "date": self.edits[0].date if self.edits else version.date,
            "thread_id": self.thread_id,
            "document": self.document.to_document() if self.document else None,
            "options": self.options,
            "reply_to_message_id": self.reply_to.message_id if self.reply_to else None,
        }


@dataclass(slots=True)
class CallbackQuery:
    id: str
    chat_id: int
    user_id: int
    message_id: int
    data: str
    answer: dict[str, Any] | None = None

    def to_control(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "chat_id": self.chat_id,
            "user_id": self.user_id,
            "message_id": self.message_id,
            "data": self.data,
            "answered": self.answer is not None,
            "answer": self.answer,
        }


@dataclass(slots=True)
class Stats:
    calls: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    violations: list[dict[str, Any]] = field(default_factory=list)
    lost_answers: int = 0  # calls carried out whose answer was dropped (pdrop_after)

    def answer(self, status: int) -> None:
        if status == 429:
            self.answers["429"] += 1
        else:
            self.answers[f"{status // 100}xx"] += 1

    def violation(self, method: str, chat_id: Any, rule: str, description: str) -> None:
        self.violations.append(
            {"method": method, "chat_id": chat_id, "rule": rule, "description": description}
        )

    def to_control(self) -> dict[str, Any]:
        answers = {key: self.answers.get(key, 0) for key in ("2xx", "4xx", "429", "5xx")}
        return {
            "calls": dict(self.calls),
            "answers": answers,
            "violations": list(self.violations),
            "lost_answers": self.lost_answers,
        }


@dataclass(slots=True)
class State:
    """All mutable emulator state; reset by replacing it with a fresh one."""

    chats: dict[int, Chat] = field(default_factory=dict)
    messages: dict[tuple[int, int], Message] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    callbacks: dict[str, CallbackQuery] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    stats: Stats = field(default_factory=Stats)
    seq: int = 0

    def chat_by_ref(self, ref: int | str) -> Chat | None:
        if isinstance(ref, int):
            return self.chats.get(ref)
        name = ref.removeprefix("@").lower()
        for chat in self.chats.values():
            if chat.username and chat.username.lower() == name:
                return chat
        return None

    def add_message(
        self, chat: Chat, from_bot: bool, user_id: int, version: Version, **extra: Any
    ) -> Message:
        self.seq += 1
        message = Message(
            chat, chat.next_message_id(), from_bot, user_id, version, self.seq, **extra
        )
        self.messages[(chat.id, message.message_id)] = message
        return message

    def bot_messages(self, chat_id: int | None, since: int) -> list[Message]:
        found = [
            m
            for m in self.messages.values()
            if m.from_bot and (chat_id is None or m.chat.id == chat_id) and m.message_id > since
        ]
        return sorted(found, key=lambda m: m.seq)

    def store_file(self, file_name: str, mime_type: str, content: bytes) -> StoredFile:
        number = len(self.files) + 1
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAE{number:08d}",
            file_unique_id=f"AgAD{number:06d}",
            file_name=file_name,
            mime_type=mime_type,
            content=content,
            file_path=f"documents/file_{number}{_suffix(file_name)}",
        )
        self.files[stored.file_id] = stored
        return stored


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    suffix = name[dot:] if dot > 0 else ""
    return suffix if suffix[1:].isalnum() and len(suffix) <= 10 else ""


def now() -> int:
    return int(time.time())
