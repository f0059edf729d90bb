"""Every real issue, for many topic sets, languages and modes: each part is valid Telegram
HTML within Telegram's limits, and every matching entry arrives once, in issue order."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from bot.digest.model import Entry, Issue
from bot.digest.parse import parse_issue
from bot.emulator.html import parse_html
from bot.i18n import t_text
from bot.render.digest import Part, render_digest
from bot.render.entry import MAX_TITLE, SUMMARY_LIMITS, EntryView, Mode
from bot.render.text import clean, one_line, trim
from bot.topics.filter import entry_matches, subscription_term
from bot.topics.match import entry_text
from tests.support.render import assert_telegram_parts

pytestmark = pytest.mark.corpus

NOTHING = "zq不存在的主题xj"


@lru_cache(maxsize=64)
def _parse(path: Path) -> Issue:
    return parse_issue(path.read_text(encoding="utf-8"), filename=path.name)


def _everything(issue: Issue) -> list[str]:
    """Include-terms that together match every entry: each entry's first character."""
    return sorted({entry_text(e).strip()[:1] for e in issue.entries if entry_text(e).strip()})


def _topic_sets(issue: Issue) -> list[tuple[list[str], list[str]]]:
    return [
        ([], []),
        (["量化"], []),
        (["NCNN"], []),
        (["剪枝"], ["招聘"]),
        ([NOTHING], []),
        (_everything(issue), []),
        ([], ["模型"]),
    ]


def _squeeze(keys: list[str]) -> list[str]:
    return [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]


def _shown_title(entry: Entry) -> str:
    return trim(one_line(entry.title), MAX_TITLE)


def _bold_texts(part: Part) -> list[str]:
    parsed = parse_html(part.html)
    units = parsed.plain.encode("utf-16-le")
    texts = []
    for entity in parsed.entities:
        if entity["type"] == "bold":
            start, end = 2 * entity["offset"], 2 * (entity["offset"] + entity["length"])
            texts.append(units[start:end].decode("utf-16-le"))
    return texts


def _check(
    issue: Issue, parts: list[Part], expected: list[Entry], mode: str, *, lang: str, whole: bool
) -> None:
    plains = assert_telegram_parts(parts)
    if not expected:
        assert parts == []
        return
    keys = [k for part in parts for k in part.entry_keys]
    if whole:  # an entry cut across parts is listed by each of them
        assert _squeeze(keys) == _squeeze([e.key for e in expected])
    else:
        assert keys == [e.key for e in expected], "every entry once, in issue order"
    text, at = "\n".join(plains), 0
    for entry in expected:
        found = text.find(_shown_title(entry), at)
        assert found >= 0, f"{issue.date}: {entry.title!r} missing or out of order"
        at = found + 1
    if mode != "titles" and not whole:
        titles = [t for part in parts for t in _bold_texts(part)]
        titles = [t for t in titles if not t.startswith(("嵌入式AI简报", "Embedded AI", "▎"))]
        assert titles == [_shown_title(e) or t_text("digest.no_title", lang) for e in expected]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("mode", ["full", "compact", "titles"])
def test_every_corpus_issue_renders_for_every_topic_set(
    corpus_issues: list[Path], lang: str, mode: str
) -> None:
    rendered = 0
    for path in corpus_issues:
        issue = _parse(path)
        for include, exclude in _topic_sets(issue):
            inc = [subscription_term(term) for term in include]
            exc = [subscription_term(term) for term in exclude]
            expected = [e for e in issue.entries if entry_matches(e, inc, exc)]
            parts = render_digest(
                issue,
                lang=lang,
                include=include,
                exclude=exclude,
                mode=mode,  # type: ignore[arg-type]
            )
            _check(issue, parts, expected, mode, lang=lang, whole=False)
            rendered += len(parts)
            if include and expected:
                matched = f"{len(expected)}/{len(issue.entries)}"
                assert matched in parts[0].html
    assert rendered > len(corpus_issues) * 3


def test_corpus_with_whole_summaries_splits_cleanly(corpus_issues: list[Path]) -> None:
    for path in corpus_issues:
        issue = _parse(path)
        for lang in ("zh", "en"):
            parts = render_digest(issue, lang=lang, full_text=True)
            _check(issue, parts, list(issue.entries), "full", lang=lang, whole=True)
            whole = "\n".join(assert_telegram_parts(parts))
            for entry in issue.entries:
                for paragraph in clean(entry.summary).split("\n"):
                    for sentence in paragraph.split("。"):
                        assert sentence.strip() in whole, "nothing lost when cutting"
    assert _parse(corpus_issues[0]).entries, "the corpus parses into entries"


def test_a_topic_matching_nothing_sends_no_part(corpus_issues: list[Path]) -> None:
    for path in corpus_issues:
        assert render_digest(_parse(path), include=[NOTHING]) == []


# What a reader sees as a bad cut, written independently of bot.render.text: the text
# before "…" ends inside a written-out link (the original goes on with link characters),
# or on a whole link with the ellipsis glued to it, or on a dangling list number.
_LINK_TAIL = re.compile(
    r"(?:https?://|www\.|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$",
    re.IGNORECASE,
)
_LINK_GOES_ON = re.compile(r"[A-Za-z0-9\-_~/?#\[\]@$&'()*+=%]|[.,;:!][A-Za-z0-9]")
_LIST_NUMBER = re.compile(
    r"(?:^|[\s：:；;，,。、（(])(?:\d{1,2}[.、)）]?|[(（]\d{1,2}[)）]?|[①-⑳]|[A-Za-z][.)）])$"
)


def bad_cut(original: str, shown: str) -> str | None:
    """Say "url" or "number" when ``shown`` (``original`` trimmed) ends badly, else None."""
    if shown == original or not shown.endswith("…"):
        return None
    head = shown[:-1]
    if not original.startswith(head.rstrip()):
        return "not a prefix"
    after = original[len(head.rstrip()) :]
    if _LINK_TAIL.search(head.rstrip()) and (not head.endswith(" ") or _LINK_GOES_ON.match(after)):
        return "url"
    if _LIST_NUMBER.search(head.rstrip().rstrip("。；.;，,、：:")):
        return "number"
    return None


def test_bad_cut_sees_what_a_reader_sees() -> None:
    assert bad_cut("见 https://github.com/tensorflow/model", "见 https://github.com/tensorflow/mo…")
    assert bad_cut("见 https://a.b/c。后文", "见 https://a.b/c…") == "url"
    assert bad_cut("见 https://a.b/c。后文", "见 https://a.b/c …") is None
    assert bad_cut("贡献：1. 甲； 2. 乙", "贡献：1. 甲； 2…") == "number"
    assert bad_cut("贡献：1. 甲； 2. 乙", "贡献：1. 甲…") is None


@pytest.mark.parametrize("mode", ["compact", "full"])
def test_no_summary_is_cut_inside_a_link_or_after_a_list_number(
    corpus_issues: list[Path], mode: Mode
) -> None:
    bad: dict[str, list[str]] = {}
    cut = 0
    for path in corpus_issues:
        for entry in _parse(path).entries:
            view = EntryView.of(entry, mode, SUMMARY_LIMITS[mode])
            original = one_line(clean(entry.summary)) if mode == "compact" else clean(entry.summary)
            assert len(view.summary) <= SUMMARY_LIMITS[mode]
            cut += view.summary != original
            kind = bad_cut(original, view.summary)
            if kind:
                bad.setdefault(kind, []).append(view.summary[-40:])
    assert cut > 100, "the corpus has summaries long enough to cut"
    assert {kind: len(tails) for kind, tails in bad.items()} == {}, bad
