"""Admin commands (BOT_ADMINS only): /stats, and /publish of an uploaded issue file.

/publish: the admin sends the issue's ``.md`` with the caption ``/publish`` (or
replies ``/publish`` to it). The bot lints it, shows the findings and a preview,
and publishes only after the Confirm button. The file waits in a short-lived
token cache; a Confirm pressed after it expired says so.

Parsing and linting an upload (up to 512 KB) run in a worker thread, bounded by
``CHECK_SECONDS``: the event loop keeps polling, answering other chats and sending
while a big file is checked. A check past the bound is reported as too slow; its
thread cannot be killed but ends on its own (parse and lint are linear in the file).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from io import BytesIO

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Document, Message

from bot.config import Settings
from bot.digest.lint import lint_issue
from bot.digest.model import Finding, Issue
from bot.digest.parse import parse_issue
from bot.i18n import Lang, escape, t, t_text
from bot.publishing.release import PublishRefused, PublishSummary, publish_text
from bot.render.digest import render_digest
from bot.render.text import one_line, trim
from bot.store.base import StoreError
from bot.store.chats import count_chats
from bot.store.database import Database
from bot.store.issues import list_issues
from bot.store.outbox import count_by_status
from bot.telegram.callbacks import PublishAction, TokenCache
from bot.telegram.keyboards import publish_keyboard

MAX_UPLOAD_KB = 512
MAX_FINDINGS = 10
CHECK_SECONDS = 30.0  # parse + lint of one upload, off the event loop


@dataclass(frozen=True, slots=True)
class Upload:
    user_id: int
    file_name: str
    text: str


async def stats(message: Message, db: Database, lang: Lang) -> None:
    counts = await count_chats(db.reader)
    summaries = await list_issues(db.reader)
    outbox = await count_by_status(db.reader)
    await message.answer(
        t(
            "telegram.admin.stats",
            lang,
            active=counts["active"],
            paused=counts["paused"],
            blocked=counts["blocked"],
            issues=len(summaries),
            entries=sum(s.entries for s in summaries),
            latest=summaries[0].date if summaries else "—",
            sent=outbox.get("sent", 0),
            pending=outbox.get("pending", 0) + outbox.get("sending", 0),
            failed=outbox.get("failed", 0),
        )
    )


def _document_of(message: Message) -> Document | None:
    if message.document is not None:
        return message.document
    replied = message.reply_to_message
    return replied.document if replied is not None else None


async def _read(bot: Bot, document: Document) -> str | None:
    """The file as text, or None when it is not a small UTF-8 .md file."""
    name = (document.file_name or "").lower()
    if not name.endswith((".md", ".markdown")):
        return None
    if document.file_size is not None and document.file_size > MAX_UPLOAD_KB * 1024:
        return None
    buffer = BytesIO()
    await bot.download(document, destination=buffer)
    data = buffer.getvalue()
    if len(data) > MAX_UPLOAD_KB * 1024:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def finding_lines(findings: list[Finding]) -> list[str]:
    icon = {"error": "⛔", "warning": "⚠️", "info": "ℹ️"}
    lines = [
        f"{icon.get(f.severity, '•')} L{f.line} <code>{escape(f.code)}</code> "
        f"{escape(trim(f.message, 200))}"
        for f in findings[:MAX_FINDINGS]
    ]
    if len(findings) > MAX_FINDINGS:
        lines.append(f"… +{len(findings) - MAX_FINDINGS}")
    return lines


def report(lang: Lang, issue: Issue, findings: list[Finding]) -> str:
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    head = t(
        "telegram.admin.publish_report",
        lang,
        title=trim(one_line(issue.title), 120) or t("digest.name", lang),
        date=issue.date or "?",
        entries=len(issue.entries),
        errors=errors,
        warnings=warnings,
    )
    return "\n".join([head, *finding_lines(findings)])


@dataclass(frozen=True, slots=True)
class Checked:
    issue: Issue
    findings: list[Finding]
    preview: str | None  # the first part of the compact digest, HTML


def check(text: str, file_name: str | None, lang: Lang) -> Checked:
    """Parse, lint and preview an uploaded issue (CPU-bound: runs in a worker thread)."""
    issue = parse_issue(text, filename=file_name)
    findings = lint_issue(issue, text)
    parts = render_digest(issue, lang=lang, mode="compact") if issue.entries else []
    return Checked(issue, findings, parts[0].html if parts else None)


async def publish(message: Message, bot: Bot, lang: Lang, uploads: TokenCache[Upload]) -> None:
    document = _document_of(message)
    if document is None:
        await message.answer(t("telegram.admin.publish_usage", lang))
        return
    try:
        text = await _read(bot, document)
    except TelegramAPIError:
        text = None
    if text is None:
        await message.answer(t("telegram.admin.publish_not_md", lang, limit=MAX_UPLOAD_KB))
        return
    try:
        checked = await asyncio.wait_for(
            asyncio.to_thread(check, text, document.file_name, lang), CHECK_SECONDS
        )
    except TimeoutError:
        await message.answer(
            t("telegram.admin.publish_too_slow", lang, seconds=round(CHECK_SECONDS))
        )
        return
    issue, findings = checked.issue, checked.findings
    await message.answer(report(lang, issue, findings))
    if checked.preview is not None:
        await message.answer(checked.preview)
    if any(f.severity == "error" for f in findings) or issue.date is None:
        await message.answer(t("telegram.admin.publish_blocked", lang))
        return
    user_id = message.from_user.id if message.from_user else 0
    token = uploads.put(Upload(user_id, document.file_name or "issue.md", text))
    question = t("telegram.admin.publish_confirm", lang)
    await message.answer(question, reply_markup=publish_keyboard(lang, token))


async def confirm(
    query: CallbackQuery,
    callback_data: PublishAction,
    db: Database,
    settings: Settings,
    lang: Lang,
    uploads: TokenCache[Upload],
) -> None:
    upload = uploads.pop(callback_data.token)
    message = query.message if isinstance(query.message, Message) else None
    if upload is None or message is None:
        await query.answer(t_text("telegram.common.expired", lang), show_alert=True)
        return
    await message.edit_reply_markup(reply_markup=None)
    if not callback_data.ok:
        await query.answer(t_text("telegram.admin.publish_cancelled", lang))
        await message.answer(t("telegram.admin.publish_cancelled", lang))
        return
    await query.answer()
    try:
        # The same pipeline as scheduled publishes in `bot run`.
        outcome = await publish_text(db, upload.file_name, upload.text, False, settings=settings)
    except (PublishRefused, StoreError) as exc:
        await message.answer(t("telegram.admin.publish_failed", lang, reason=str(exc)))
        return
    await message.answer(published_text(lang, outcome))


def published_text(lang: Lang, summary: PublishSummary) -> str:
    """The publishing report in the admin's language: what changed and what was queued."""
    if summary.unchanged:
        return t("telegram.admin.publish_unchanged", lang, date=summary.date)
    if summary.status == "new":
        head = t("telegram.admin.publish_new", lang, date=summary.date, entries=summary.entries)
    else:
        head = t(
            "telegram.admin.publish_updated",
            lang,
            date=summary.date,
            added=summary.added,
            changed=summary.changed,
            removed=summary.removed,
        )
    queued = t(
        "telegram.admin.publish_queued",
        lang,
        messages=summary.messages,
        edits=summary.edits,
        chats=summary.chats,
        deferred=summary.deferred,
    )
    return f"{head}\n{queued}"


def build_router() -> Router:
    router = Router(name="admin")
    admin = {"bot_admin": True}
    router.message.register(stats, Command("stats"), flags=admin)
    router.message.register(publish, Command("publish"), flags=admin)
    router.callback_query.register(confirm, PublishAction.filter(), flags=admin)
    return router
