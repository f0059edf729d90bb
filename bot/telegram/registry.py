"""The one list of bot commands: the source of the `setMyCommands` menus and of /help.

A test checks that every command a router handles is listed here, so the menu,
/help and the handlers cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.telegram.texts import Lang


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    zh: str
    en: str
    admin: bool = False  # only for BOT_ADMINS; shown in their private menu only

    def description(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", "订阅并查看用法", "Subscribe and see how to use the bot"),
    CommandSpec("help", "全部命令", "All commands"),
    CommandSpec("latest", "最新一期（按话题筛选）", "Latest issue, filtered by your topics"),
    CommandSpec("search", "搜索往期：/search 量化 剪枝", "Search past issues: /search int8"),
    CommandSpec("topic", "添加话题：/topic 量化, -招聘", "Add topics: /topic NCNN, -hiring"),
    CommandSpec("untopic", "删除话题：/untopic 量化", "Remove a topic: /untopic NCNN"),
    CommandSpec("topics", "查看和管理话题", "List and manage your topics"),
    CommandSpec("issues", "往期列表", "Past issues"),
    CommandSpec("issue", "查看某一期：/issue 2021-01-05", "One issue: /issue 2021-01-05"),
    CommandSpec("settings", "语言、推送时间、摘要长度等", "Language, delivery time, summaries"),
    CommandSpec("time", "推送时间：/time 21:30", "Delivery time: /time 21:30"),
    CommandSpec("tz", "时区：/tz Asia/Shanghai", "Time zone: /tz Europe/Berlin"),
    CommandSpec("quiet", "免打扰：/quiet 23:00-07:00", "Quiet hours: /quiet 23:00-07:00"),
    CommandSpec("thread", "（论坛群）推送到当前话题帖", "(Forum groups) deliver to this thread"),
    CommandSpec("subscribe", "订阅或恢复推送", "Subscribe or resume deliveries"),
    CommandSpec("unsubscribe", "停止推送（保留设置）", "Stop deliveries (keeps settings)"),
    CommandSpec("stats", "统计", "Statistics", admin=True),
    CommandSpec("publish", "发布上传的简报 .md", "Publish an uploaded issue .md", admin=True),
)

BY_NAME: dict[str, CommandSpec] = {spec.name: spec for spec in COMMANDS}


def public_commands() -> tuple[CommandSpec, ...]:
    return tuple(spec for spec in COMMANDS if not spec.admin)


def admin_commands() -> tuple[CommandSpec, ...]:
    return tuple(spec for spec in COMMANDS if spec.admin)
