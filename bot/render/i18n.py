"""The bot's wording in Chinese (default) and English: one small message catalog.

``t(lang, key, **kw)`` looks a message up and fills ``{placeholders}`` with
``str.format``. Unknown languages fall back to Chinese, a key missing in one
language falls back to the Chinese text, and a key missing everywhere is a
programming error (``KeyError``), so typos fail in tests instead of reaching
readers. Values are plain text: HTML escaping is the templates' job.
"""

from __future__ import annotations

from typing import Final, Literal

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")
DEFAULT_LANG: Final[Lang] = "zh"

CATALOG: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "digest.full_issue": "阅读全文",
        "digest.filter": "按关注筛选：{topics} · {matched}/{total} 条",
        "digest.topic_sep": "、",
        "digest.continued": "（续）",
        "digest.part": "（{index}/{count}）",
        "digest.footer": "用 /topic 设置关注的主题，用 /search 搜索往期简报。",
        "digest.no_title": "（无标题）",
        "digest.name": "嵌入式AI简报",
        "section.业界新闻": "业界新闻",
        "section.论文": "论文",
        "section.开源": "开源",
        "section.开源项目": "开源项目",
        "section.博文": "博文",
        "section.应用": "应用",
        "search.header": "搜索“{query}”：共 {total} 条 · 第 {page}/{pages} 页",
        "search.empty": "没有找到“{query}”。试试更短的词、去掉排除词，或换成英文名称。",
        "search.truncated": "查询过长，只用了前 {limit} 个字符。",
        "search.issue": "{date} 期",
    },
    "en": {
        "digest.full_issue": "Full issue",
        "digest.filter": "Filtered by your topics: {topics} · {matched}/{total} entries",
        "digest.topic_sep": ", ",
        "digest.continued": " (cont.)",
        "digest.part": " ({index}/{count})",
        "digest.footer": "Pick topics with /topic, search past issues with /search.",
        "digest.no_title": "(untitled)",
        "digest.name": "Embedded AI digest",
        "section.业界新闻": "Industry news",
        "section.论文": "Papers",
        "section.开源": "Open source",
        "section.开源项目": "Open source",
        "section.博文": "Blog posts",
        "section.应用": "Applications",
        "search.header": "Search “{query}”: {total} results · page {page}/{pages}",
        "search.empty": "Nothing found for “{query}”. Try a shorter word, drop exclusions, "
        "or use the English name.",
        "search.truncated": "The query was too long; only its first {limit} characters were used.",
        "search.issue": "issue {date}",
    },
}


def lang_or_default(lang: str | None) -> Lang:
    """Map a language code to a supported language: nothing → zh, zh* → zh, else en."""
    code = (lang or "").lower()
    if not code or code.startswith("zh"):
        return "zh"
    return "en"


def has(lang: str, key: str) -> bool:
    """Whether ``key`` has wording in ``lang`` or in the default language."""
    return key in CATALOG.get(lang, {}) or key in CATALOG[DEFAULT_LANG]


def t(lang: str, key: str, **kw: object) -> str:
    """The message ``key`` in ``lang``, with ``{placeholders}`` filled from ``kw``."""
    text = CATALOG.get(lang, {}).get(key)
    if text is None:
        text = CATALOG[DEFAULT_LANG][key]
    return text.format(**kw) if kw else text


def section_name(lang: str, section: str) -> str:
    """A section heading in ``lang``: known sections are translated, others kept."""
    key = "section." + section.strip()
    return t(lang, key) if has(lang, key) else section
