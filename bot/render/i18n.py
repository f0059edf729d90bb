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
        "search.empty": "没有找到“{query}”。",
        "search.tips": "试试：更短的词（“量化”而不是“量化方法”）、英文名（NCNN、int8），"
        "或减少关键词和排除词。",
        "search.notice.query_cut": "查询太长，只用了前 {chars} 个字符。",
        "search.notice.too_many_terms": "关键词太多，只用了前 {terms} 个。",
        "search.notice.term_cut": "超过 {term_chars} 个字符的关键词被截短了。",
        "search.notice.nothing_to_search": "请用文字、数字或汉字搜索；以 - 开头的词只用于排除。",
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
        "search.header": "Search “{query}”: {total} found · page {page}/{pages}",
        "search.empty": "Nothing found for “{query}”.",
        "search.tips": "Try shorter words (“quant” rather than “quantizations”), product names "
        "(NCNN, int8), or fewer words and exclusions.",
        "search.notice.query_cut": "The query was too long: only its first {chars} characters "
        "were used.",
        "search.notice.too_many_terms": "Too many words: only the first {terms} were used.",
        "search.notice.term_cut": "Words longer than {term_chars} characters were shortened.",
        "search.notice.nothing_to_search": "Search with letters, digits or Chinese characters; "
        "a word starting with - only excludes.",
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
