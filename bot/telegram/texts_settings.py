"""Replies of /settings, its companion commands and the admin commands (zh and en).

Merged into :data:`bot.telegram.texts.TEXTS`; same rules (Telegram HTML, ``{}``
placeholders escaped by ``tr``).
"""

from __future__ import annotations

SETTINGS_TEXTS: dict[str, dict[str, str]] = {
    "settings_head": {
        "zh": "<b>设置</b>\n"
        "状态：{status}\n语言：{language}\n推送时间：{delivery}（{tz}）\n免打扰：{quiet}\n"
        "摘要：{summary}\n链接预览：{previews}{thread}",
        "en": "<b>Settings</b>\n"
        "Status: {status}\nLanguage: {language}\nDelivery: {delivery} ({tz})\n"
        "Quiet hours: {quiet}\nSummaries: {summary}\nLink previews: {previews}{thread}",
    },
    "settings_tail": {
        "zh": "自定义：<code>/time 21:30</code>、<code>/tz Asia/Shanghai</code>、"
        "<code>/quiet 23:00-07:00</code>",
        "en": "Custom: <code>/time 21:30</code>, <code>/tz Asia/Shanghai</code>, "
        "<code>/quiet 23:00-07:00</code>",
    },
    "settings_thread": {"zh": "\n推送话题帖：{thread}", "en": "\nForum thread: {thread}"},
    "status_active": {"zh": "订阅中", "en": "subscribed"},
    "status_paused": {"zh": "已暂停", "en": "paused"},
    "status_off": {"zh": "未订阅", "en": "not subscribed"},
    "delivery_now": {"zh": "发布后立即", "en": "as soon as published"},
    "quiet_off": {"zh": "关闭", "en": "off"},
    "summary_full": {"zh": "完整", "en": "full"},
    "summary_compact": {"zh": "精简", "en": "compact"},
    "summary_titles": {"zh": "仅标题", "en": "titles only"},
    "on": {"zh": "开", "en": "on"},
    "off": {"zh": "关", "en": "off"},
    "lang_name": {"zh": "中文", "en": "English"},
    "btn_lang": {"zh": "🌐 English", "en": "🌐 中文"},
    "btn_now": {"zh": "立即", "en": "Now"},
    "btn_quiet": {"zh": "🌙 免打扰 23-07", "en": "🌙 Quiet 23-07"},
    "btn_quiet_off": {"zh": "🔔 关闭免打扰", "en": "🔔 Quiet off"},
    "btn_previews_on": {"zh": "🔗 开启预览", "en": "🔗 Previews on"},
    "btn_previews_off": {"zh": "🔗 关闭预览", "en": "🔗 Previews off"},
    "btn_pause": {"zh": "⏸ 暂停推送", "en": "⏸ Pause"},
    "btn_resume": {"zh": "▶️ 恢复推送", "en": "▶️ Resume"},
    "btn_here_thread": {"zh": "📌 推送到本话题帖", "en": "📌 Deliver to this thread"},
    "saved": {"zh": "已保存。", "en": "Saved."},
    "time_usage": {
        "zh": "用法：<code>/time 21:30</code>（24 小时制），"
        "或 <code>/time now</code> 发布后立即推送。",
        "en": "Usage: <code>/time 21:30</code> (24-hour clock), or <code>/time now</code> "
        "to receive issues as soon as they are published.",
    },
    "time_set": {"zh": "推送时间：{delivery}（{tz}）。", "en": "Delivery: {delivery} ({tz})."},
    "tz_usage": {
        "zh": "用法：<code>/tz Asia/Shanghai</code>（IANA 时区名）。",
        "en": "Usage: <code>/tz Europe/Berlin</code> (an IANA time zone name).",
    },
    "tz_unknown": {
        "zh": "不认识的时区“{tz}”。例如 <code>Asia/Shanghai</code>、<code>Europe/London</code>。",
        "en": "Unknown time zone “{tz}”. For example <code>Asia/Shanghai</code>, "
        "<code>America/New_York</code>.",
    },
    "tz_set": {"zh": "时区：{tz}。", "en": "Time zone: {tz}."},
    "quiet_usage": {
        "zh": "用法：<code>/quiet 23:00-07:00</code> 或 <code>/quiet off</code>。",
        "en": "Usage: <code>/quiet 23:00-07:00</code> or <code>/quiet off</code>.",
    },
    "quiet_set": {"zh": "免打扰：{quiet}。", "en": "Quiet hours: {quiet}."},
    "thread_set": {
        "zh": "以后的简报会推送到这个话题帖。",
        "en": "Digests will be delivered to this forum thread from now on.",
    },
    "thread_general": {
        "zh": "以后的简报会推送到默认话题（General）。",
        "en": "Digests will be delivered to the General topic from now on.",
    },
    "thread_not_forum": {
        "zh": "只有开启了话题功能的超级群可以选择话题帖。",
        "en": "Only forum supergroups can pick a thread for digests.",
    },
    # --- admin -----------------------------------------------------------------------
    "admins_only": {
        "zh": "这个命令只对机器人管理员开放。",
        "en": "This command is for the bot's admins only.",
    },
    "stats": {
        "zh": "<b>统计</b>\n订阅中的聊天：{active}\n已暂停：{paused}，已屏蔽/退出：{blocked}\n"
        "期数：{issues}，条目：{entries}\n最新一期：{latest}\n"
        "消息：已发送 {sent}，待发送 {pending}，失败 {failed}",
        "en": "<b>Stats</b>\nSubscribed chats: {active}\nPaused: {paused}, blocked/left: "
        "{blocked}\nIssues: {issues}, entries: {entries}\nLatest issue: {latest}\n"
        "Messages: {sent} sent, {pending} pending, {failed} failed",
    },
    "publish_usage": {
        "zh": "把简报的 <code>.md</code> 文件发给我并附上说明 <code>/publish</code>，"
        "或回复该文件发送 /publish。",
        "en": "Send me the issue's <code>.md</code> file with the caption <code>/publish</code>, "
        "or reply to the file with /publish.",
    },
    "publish_not_md": {
        "zh": "只接受 UTF-8 编码、不超过 {limit} KB 的 <code>.md</code> 文件。",
        "en": "Only a UTF-8 <code>.md</code> file of at most {limit} KB can be published.",
    },
    "issue_name": {"zh": "嵌入式AI简报", "en": "Embedded AI digest"},
    "publish_report": {
        "zh": "<b>{title}</b>（{date}）\n{entries} 条；错误 {errors}，警告 {warnings}。",
        "en": "<b>{title}</b> ({date})\n{entries} entries; {errors} errors, {warnings} warnings.",
    },
    "publish_blocked": {
        "zh": "有错误，不能发布。请修改后重新上传。",
        "en": "There are errors; fix them and upload the file again.",
    },
    "publish_confirm_q": {
        "zh": "确认发布并推送给订阅者吗？",
        "en": "Publish it and deliver it to subscribers?",
    },
    "btn_confirm": {"zh": "✅ 确认发布", "en": "✅ Confirm"},
    "btn_cancel": {"zh": "取消", "en": "Cancel"},
    "publish_done": {"zh": "✅ 已发布：{summary}", "en": "✅ Published: {summary}"},
    "publish_cancelled": {"zh": "已取消。", "en": "Cancelled."},
    "publish_failed": {"zh": "发布失败：{reason}", "en": "Publishing failed: {reason}"},
}
