"""What the bot says, in Chinese first and English.

Every value is Telegram HTML. ``tr`` escapes every keyword argument unless it is
wrapped in :class:`Html` (a fragment the caller already built safely), so user
text can never smuggle markup into a reply.
"""

from __future__ import annotations

import html
from typing import cast

from bot.i18n import Lang as Lang  # one language list for renders and replies
from bot.telegram.texts_settings import SETTINGS_TEXTS

LANGS: tuple[Lang, ...] = ("zh", "en")


class Html(str):
    """A fragment that is already valid, escaped Telegram HTML."""


def esc(text: object) -> str:
    """Escape text for Telegram HTML (also safe inside a double-quoted attribute)."""
    return html.escape(str(text), quote=True)


def lang_of(code: str | None) -> Lang:
    """zh* → zh, anything else (or nothing) → en."""
    return "zh" if code and code.lower().startswith("zh") else "en"


def tr(lang: Lang, key: str, **kw: object) -> str:
    template = TEXTS[key][lang]
    safe = {k: v if isinstance(v, Html) else esc(v) for k, v in kw.items()}
    return template.format(**safe) if safe else template


TEXTS: dict[str, dict[Lang, str]] = {
    # --- start / help / subscription -------------------------------------------------
    "welcome": {
        "zh": "👋 欢迎！这里推送<b>嵌入式AI简报</b>：模型压缩、低比特量化、移动端推理与部署。\n"
        "你已订阅，新一期发布后会推送到这里。\n\n"
        "• /topic 量化 — 只看感兴趣的话题\n"
        "• /search 剪枝 — 搜索往期内容\n"
        "• /latest — 最新一期\n"
        "• /settings — 语言、推送时间、摘要长度\n"
        "• /help — 全部命令",
        "en": "👋 Welcome! This bot delivers the <b>Embedded AI digest</b> (嵌入式AI简报): "
        "model compression, low-bit quantization, mobile inference and deployment.\n"
        "You are subscribed; each new issue will be sent here.\n\n"
        "• /topic quantization — only the topics you care about\n"
        "• /search pruning — search past issues\n"
        "• /latest — the latest issue\n"
        "• /settings — language, delivery time, summary length\n"
        "• /help — all commands",
    },
    "group_hello": {
        "zh": "大家好！我推送<b>嵌入式AI简报</b>。群管理员发送 /start 即可在本群订阅，"
        "/help 查看全部命令。",
        "en": "Hello! I deliver the <b>Embedded AI digest</b>. A group admin can send /start "
        "to subscribe this group; /help lists all commands.",
    },
    "help_head": {
        "zh": "<b>命令</b>",
        "en": "<b>Commands</b>",
    },
    "help_admin_head": {"zh": "<b>管理员命令</b>", "en": "<b>Admin commands</b>"},
    "help_tail": {
        "zh": "话题按子串匹配（不区分大小写、全角/半角、繁简）：<code>/topic 量化, NCNN</code>；"
        "前加 <code>-</code> 表示排除：<code>/topic -招聘</code>。",
        "en": "Topics match as plain substrings (ignoring case, full-width and traditional "
        "characters): <code>/topic 量化, NCNN</code>; a leading <code>-</code> excludes: "
        "<code>/topic -招聘</code>.",
    },
    "subscribed": {
        "zh": "✅ 已订阅，新一期发布后会推送到这里。",
        "en": "✅ Subscribed: new issues will be sent here.",
    },
    "already_subscribed": {
        "zh": "你已经订阅了。发送 /unsubscribe 可暂停推送。",
        "en": "You are already subscribed. Send /unsubscribe to stop deliveries.",
    },
    "unsubscribed": {
        "zh": "已停止推送。你的话题和设置都保留着，发送 /subscribe 即可恢复。",
        "en": "Deliveries stopped. Your topics and settings are kept; /subscribe resumes them.",
    },
    "not_subscribed": {
        "zh": "当前没有订阅。发送 /subscribe 订阅。",
        "en": "This chat is not subscribed. Send /subscribe to subscribe.",
    },
    "group_admins_only": {
        "zh": "只有本群管理员可以更改订阅和设置。",
        "en": "Only this group's admins can change the subscription and settings.",
    },
    "unknown_command": {
        "zh": "不认识的命令 /{command}。发送 /help 查看全部命令。",
        "en": "Unknown command /{command}. Send /help to see all commands.",
    },
    "plain_text_hint": {
        "zh": "想搜索的话请发送 <code>/search 关键词</code>；发送 /help 查看全部命令。",
        "en": "To search, send <code>/search words</code>; /help lists all commands.",
    },
    "expired": {
        "zh": "此页面已过期，请重新发送命令。",
        "en": "This page has expired; please send the command again.",
    },
    "failed": {
        "zh": "抱歉，出了点问题，请稍后再试。",
        "en": "Sorry, something went wrong; please try again in a moment.",
    },
    "slow_down": {
        "zh": "操作太快了，请稍等片刻再试。",
        "en": "That was a bit fast: please wait a moment and try again.",
    },
    "too_long": {
        "zh": "参数太长了（最多 {limit} 个字符）。",
        "en": "That is too long (at most {limit} characters).",
    },
    # --- topics ----------------------------------------------------------------------
    "topic_usage": {
        "zh": "用法：<code>/topic 量化, NCNN 剪枝</code>（逗号或空格分隔）；"
        "<code>/topic -招聘</code> 排除；<code>/untopic 量化</code> 删除。",
        "en": "Usage: <code>/topic quantization, NCNN pruning</code> (commas or spaces); "
        "<code>/topic -hiring</code> excludes; <code>/untopic quantization</code> removes.",
    },
    "untopic_usage": {
        "zh": "用法：<code>/untopic 量化</code>",
        "en": "Usage: <code>/untopic quantization</code>",
    },
    "topics_none": {
        "zh": "还没有话题：每一期的全部内容都会推送。",
        "en": "No topics yet: every entry of each issue is delivered.",
    },
    "topics_head": {"zh": "<b>你的话题</b>", "en": "<b>Your topics</b>"},
    "topics_include": {"zh": "关注：{items}", "en": "Include: {items}"},
    "topics_exclude": {"zh": "排除：{items}", "en": "Exclude: {items}"},
    "topics_match": {
        "zh": "按这些话题，最新一期（{date}）有 {matched}/{total} 条会推送给你。",
        "en": "With these topics, {matched} of {total} entries of the latest issue "
        "({date}) would reach you.",
    },
    "topics_added": {"zh": "已添加：{items}", "en": "Added: {items}"},
    "topics_removed": {"zh": "已删除：{items}", "en": "Removed: {items}"},
    "topics_missing": {"zh": "没有这个话题：{items}", "en": "Not in your topics: {items}"},
    "topics_cleared": {"zh": "已清空全部话题。", "en": "All topics cleared."},
    "topic_too_long": {
        "zh": "话题最多 {limit} 个字符，已跳过：{items}",
        "en": "Topics are at most {limit} characters; skipped: {items}",
    },
    "topic_limit": {
        "zh": "最多 {limit} 个话题，已跳过：{items}",
        "en": "At most {limit} topics; skipped: {items}",
    },
    "btn_clear_topics": {"zh": "🗑 清空全部", "en": "🗑 Clear all"},
    # --- search ----------------------------------------------------------------------
    "search_usage": {
        "zh": "用法：<code>/search 量化 剪枝</code>（多个词表示都要出现）。",
        "en": "Usage: <code>/search quantization pruning</code> (all words must appear).",
    },
    # --- issues ----------------------------------------------------------------------
    "no_issues": {
        "zh": "还没有发布任何一期。",
        "en": "No issue has been published yet.",
    },
    "issue_usage": {
        "zh": "用法：<code>/issue 2021-01-05</code>；发送 /issues 查看往期。",
        "en": "Usage: <code>/issue 2021-01-05</code>; /issues lists past issues.",
    },
    "issue_not_found": {
        "zh": "没有 {date} 这一期。发送 /issues 查看往期。",
        "en": "There is no issue dated {date}. Send /issues to list past issues.",
    },
    "issues_head": {
        "zh": "<b>往期简报</b>（第 {page}/{pages} 页）",
        "en": "<b>Past issues</b> (page {page}/{pages})",
    },
    "latest_filtered": {
        "zh": "按你的话题筛选：{matched}/{total} 条。",
        "en": "Filtered by your topics: {matched} of {total} entries.",
    },
    "latest_nothing": {
        "zh": "最新一期（{date}）没有符合你话题的内容。",
        "en": "Nothing in the latest issue ({date}) matches your topics.",
    },
    "btn_show_all": {"zh": "显示全部", "en": "Show all"},
}
TEXTS.update({k: cast(dict[Lang, str], v) for k, v in SETTINGS_TEXTS.items()})
