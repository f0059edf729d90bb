"""E-mail rendering: the same entries as Telegram, every link, a real text part, inlined CSS
that keeps dark mode, no remote resources, subjects in both languages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from bot.digest.model import Issue
from bot.render.digest import render_digest, select_entries
from bot.render.email import (
    EmailRenderError,
    render_confirm_email,
    render_email_digest,
)
from bot.render.env import render_text
from tests.support.render import make_entry, make_issue

UNSUB = "https://digest.example.org/unsubscribe/tok"
PREFS = "https://digest.example.org/preferences/tok"


def mail(issue: Issue, lang: str = "zh", **kw: object):  # type: ignore[no-untyped-def]
    return render_email_digest(
        issue,
        lang=lang,
        address="reader@example.org",
        unsubscribe_url=UNSUB,
        preferences_url=PREFS,
        **kw,  # type: ignore[arg-type]
    )


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def quant_issue() -> Issue:
    entries = [make_entry(i, f"量化方法{i}", summary=f"第{i}条摘要。") for i in range(1, 6)]
    entries.append(make_entry(6, "剪枝方法", section="开源项目"))
    return make_issue(entries, date="2021-01-05")


def test_subjects_in_both_languages() -> None:
    issue = quant_issue()
    assert mail(issue, include=["量化"]).subject == "嵌入式AI简报 · 2021-01-05 · 量化 5 条"
    assert mail(issue, "en", include=["量化"], topic_labels=["quantization"]).subject == (
        "Embedded AI digest · 2021-01-05 · quantization: 5 entries"
    )
    assert mail(issue).subject == "嵌入式AI简报 · 2021-01-05 · 6 条"
    assert mail(issue, "en", include=["剪枝"]).subject.endswith("pruning: 1 entry")


def test_same_entries_as_telegram_and_every_link(shapes_issue: Issue) -> None:
    for include in ([], ["量化"], ["NPU", "部署"]):
        m = mail(shapes_issue, include=include)
        assert m is not None
        chosen = select_entries(shapes_issue, include)
        assert m.entry_keys == tuple(e.key for e in chosen)
        tg = {k for p in render_digest(shapes_issue, include=include) for k in p.entry_keys}
        assert set(m.entry_keys) == tg
    m = mail(shapes_issue)
    hrefs = {a.get("href") for tag, a in tags(m.html) if tag == "a"}
    for entry in shapes_issue.entries:
        for url in [entry.url, *(link.url for link in entry.links)]:
            if url:
                assert url in hrefs, url
                assert url in m.text, url
    assert "代码: https://github.com/example/prune" in m.text
    assert "== 论文 ==" in m.text and "== 开源项目 ==" in m.text


def test_nothing_matches_gives_none(shapes_issue: Issue) -> None:
    assert mail(shapes_issue, include=["不存在的主题xyz"]) is None


def test_html_is_inlined_keeps_dark_mode_and_loads_nothing(shapes_issue: Issue) -> None:
    m = mail(shapes_issue, include=["量化"])
    assert "@media (prefers-color-scheme: dark)" in m.html
    assert '<meta name="color-scheme" content="light dark">' in m.html
    found = tags(m.html)
    # CSS was inlined: classes carry style attributes.
    assert any("max-width: 600px" in (a.get("style") or "") for _, a in found)
    # No remote resources: no images, stylesheets, scripts, iframes; only links to click.
    assert not [t for t, _ in found if t in {"img", "link", "script", "iframe", "object"}]
    assert "url(" not in m.html and "@import" not in m.html
    # The preheader is hidden and comes first in the body.
    pre = next(a for t, a in found if t == "div" and a.get("class") == "preheader")
    assert "display: none" in (pre.get("style") or "")
    assert m.preheader.startswith("本期 2 条：QuantX")  # and the INT8 entry
    assert m.html.index(m.preheader) < m.html.index("<h1")


def test_footer_links_and_filter_line_in_both_parts(shapes_issue: Issue) -> None:
    for lang, unsub in (("zh", "退订"), ("en", "Unsubscribe")):
        m = mail(shapes_issue, lang, include=["量化"])
        assert f'<a href="{UNSUB}"' in m.html and f'<a href="{PREFS}"' in m.html
        assert f"{unsub}: {UNSUB}" in m.text
        assert "reader@example.org" in m.text
    m = mail(shapes_issue, include=["量化"])
    assert "按关注筛选：量化 · 2/10 条" in m.text  # 量化 is the topic: INT8 counts
    en = mail(shapes_issue, "en", include=["量化"])
    assert "Filtered by your topics: quantization · 2/10 entries" in en.text
    assert "Papers" in en.text and "论文" not in en.text.replace("机器之心", "")


def test_hostile_text_is_escaped_in_html_and_literal_in_text() -> None:
    entry = make_entry(
        1,
        '<script>alert(1)</script> "A&B"',
        summary="<b>假</b> & 实体 &amp;",
        source="Evil <i>Source",
        url='https://example.com/?q="x"&a=<b>',
    )
    issue = make_issue([entry], date="2022-03-01")
    m = mail(issue)
    assert "<script>" not in m.html and "<b>假" not in m.html
    assert "&lt;script&gt;" in m.html
    hrefs = [a.get("href") for tag, a in tags(m.html) if tag == "a"]
    assert 'https://example.com/?q="x"&a=<b>' in hrefs  # escaped in the markup, intact when read
    assert '<script>alert(1)</script> "A&B"' in m.text
    assert "<b>假</b> & 实体 &amp;" in m.text
    assert "javascript:" not in m.html


def test_non_http_footer_links_are_refused(shapes_issue: Issue) -> None:
    with pytest.raises(EmailRenderError, match="unsubscribe link"):
        render_email_digest(
            shapes_issue,
            lang="zh",
            address="a@example.org",
            unsubscribe_url="javascript:alert(1)",
            preferences_url=PREFS,
        )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_confirmation_mail(lang: str) -> None:
    url = "https://digest.example.org/confirm/abc.def"
    m = render_confirm_email(lang=lang, address="new@example.org", confirm_url=url, topics=["量化"])
    assert m.subject in (
        "请确认订阅嵌入式AI简报",
        "Confirm your subscription to the Embedded AI digest",
    )
    assert sum(1 for t, a in tags(m.html) if t == "a" and a.get("href") == url) == 2
    assert url in m.text and "new@example.org" in m.text and "量化" in m.text
    assert "3" in m.text
    assert "<b>" not in m.text  # the catalogue's markup is dropped in the text part
    assert "@media (prefers-color-scheme: dark)" in m.html


def test_text_templates_are_not_escaped_and_need_the_suffix() -> None:
    with pytest.raises(ValueError, match="plain-text"):
        render_text("email/digest.html.j2", "zh")
    assert re.search(
        r"\n\Z",
        render_text(
            "email/confirm.txt.j2", "en", address="<a>", confirm_url="https://x", topics="", days=3
        ),
    )


def test_subject_and_preheader_stay_on_one_line_with_hostile_input() -> None:
    entry = make_entry(1, "量化\r\nBcc: victim@example.net\x0c\u2028标题", summary="x")
    issue = make_issue([entry], date="2021-01-05", title="期\r\n标题")
    m = mail(issue, include=["量化"], topic_labels=["量化\r\nBcc:\x0bvictim@example.net"])
    for text in (m.subject, m.preheader):
        assert len(text.splitlines()) == 1 and text.isprintable()
    assert m.subject == "嵌入式AI简报 · 2021-01-05 · 量化 Bcc: victim@example.net 1 条"
