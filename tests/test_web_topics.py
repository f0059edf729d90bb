"""The topic pages and feeds of the public site over real HTTP on a real archive:
/topics, /topics/<slug> (paged), /topics/<slug>.atom and .json; feeds in the reader's
language and re-published issues in every feed; search hits linking to entry anchors."""

from __future__ import annotations

import asyncio
import json
import re
import time
import xml.etree.ElementTree as ET
from html import unescape

from aiohttp.test_utils import TestClient
from multidict import CIMultiDict

from bot.store.base import utc_now
from bot.store.database import Database
from bot.store.entry_topics import topic_counts
from bot.store.issues import ingest_issue, list_issues
from bot.topics.catalog import load_catalog
from tests.support.store import make_entry, make_issue
from tests.support.web import BOT_USERNAME, PUBLIC_URL

Client = TestClient  # type: ignore[type-arg]
ATOM = "{http://www.w3.org/2005/Atom}"
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


async def get(site: Client, path: str, **headers: str) -> tuple[int, str, CIMultiDict[str]]:
    async with site.get(path, headers=headers, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.copy()


def hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', html)]


def entry_links(html: str) -> list[str]:
    """The issue links of a topic page's entries, in order."""
    return [unescape(h) for h in re.findall(r'class="issue-link" href="([^"]*)"', html)]


def anchored_title(issue_html: str, anchor: str) -> str:
    """The title of the entry with ``id=anchor`` on an issue page."""
    found = re.search(
        rf'<article class="entry" id="{anchor}">\s*<h3 class="entry-title">(?:<a[^>]*>)?(.*?)<',
        issue_html,
        re.S,
    )
    assert found is not None, anchor
    return unescape(found.group(1)).strip()


# --- /topics ------------------------------------------------------------------------------


async def test_catalogue_lists_every_topic_with_counts_and_feeds(
    site: Client, web_archive: Database
) -> None:
    counts = await topic_counts(web_archive.reader)
    status, zh, _ = await get(site, "/topics")
    _, en, _ = await get(site, "/topics", **{"Accept-Language": "en"})
    assert status == 200 and "<script" not in zh
    links = hrefs(zh)
    for topic in load_catalog().topics:
        assert f"/topics/{topic.slug}" in links and f"/topics/{topic.slug}?lang=en" not in links
        assert {f"/topics/{topic.slug}.atom", f"/topics/{topic.slug}.json"} <= set(links)
        assert topic.zh in zh and topic.en[1:] in en
    row = re.search(r'href="/topics/quantization">量化</a>\s*<span class="meta">([^<]*)<', zh)
    assert row is not None and f"{counts['quantization']} 条" in row.group(1)
    assert counts["quantization"] == 15
    assert '<html lang="en">' in en and "Topics" in en
    assert 'href="/topics"' in zh  # in the navigation of every page


# --- /topics/<slug> -----------------------------------------------------------------------


async def test_topic_page_lists_entries_newest_first_linking_to_their_anchors(
    site: Client,
) -> None:
    status, html, _ = await get(site, "/topics/quantization")
    assert status == 200
    links = entry_links(html)
    assert len(links) == 15
    assert links[:12] == [f"/issues/2021-02-02#e-{n}" for n in range(1, 13)]
    assert links[12:] == [f"/issues/2021-01-05#e-{n}" for n in (1, 2, 3)]
    issue_page = (await get(site, "/issues/2021-01-05"))[1]
    assert anchored_title(issue_page, "e-3") == "模型压缩综述（修订版）"
    assert "模型压缩综述（修订版）" in html
    # every link of an entry, its source and summary
    for url in ("https://example.org/int8", "https://github.com/example/int8"):
        assert url in hrefs(html)
    assert "来源：机器之心" in html and "第二段：与剪枝结合的效果。" in html


async def test_topic_page_follow_links(site: Client) -> None:
    _, html, _ = await get(site, "/topics/quantization")
    links = hrefs(html)
    assert "/topics/quantization.atom" in links and "/topics/quantization.json" in links
    assert f"https://t.me/{BOT_USERNAME}?start=topic_quantization" in links
    assert "/subscribe?topic=quantization" in links
    assert (
        'type="application/atom+xml" title="量化 (Atom)" href="/topics/quantization.atom"' in html
    )
    _, en, _ = await get(site, "/topics/quantization?lang=en")
    assert "/subscribe?topic=quantization&lang=en" in hrefs(en) and "Quantization" in en


async def test_topic_page_escapes_entry_text(site: Client) -> None:
    _, html, _ = await get(site, "/topics/quantization")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert not any(h.lower().startswith(("javascript:", "data:")) for h in hrefs(html))


async def add_quantization_issue(db: Database, count: int) -> None:
    entries = [
        make_entry(f"INT8 量化实践 {n}", url=f"https://example.org/more/{n}", summary="低比特量化")
        for n in range(1, count + 1)
    ]
    issue = make_issue("2021-03-02", *entries)
    await db.write(lambda c: ingest_issue(c, issue, "more", "more"))


async def test_topic_pages_are_paged_and_bounded(site: Client, web_archive: Database) -> None:
    await add_quantization_issue(web_archive, 30)  # 45 entries: 3 pages of 20
    _, first, _ = await get(site, "/topics/quantization")
    assert "第 1/3 页" in first and 'rel="prev"' not in first
    assert entry_links(first)[:2] == ["/issues/2021-03-02#e-1", "/issues/2021-03-02#e-2"]
    next_link = re.search(r'<a rel="next" href="([^"]*)"', first)
    assert next_link is not None and unescape(next_link.group(1)) == "/topics/quantization?page=2"
    _, second, _ = await get(site, "/topics/quantization?page=2")
    assert entry_links(second)[:1] == ["/issues/2021-03-02#e-21"]
    assert '<ol class="tagged" start="21">' in second
    _, third, _ = await get(site, "/topics/quantization?page=3&lang=en")
    assert len(entry_links(third)) == 5 and 'rel="next"' not in third
    assert "Page 3 of 3" in third
    seen = entry_links(first) + entry_links(second) + entry_links(third)
    assert len(seen) == len(set(seen)) == 45  # every entry once


async def test_unknown_topics_and_pages_get_a_clear_404(site: Client) -> None:
    for path, sentence in (
        ("/topics/no-such-topic", "没有“no-such-topic”这个主题。"),
        ("/topics/%3Cscript%3E", "没有“&lt;script&gt;”这个主题。"),
        ("/topics/quantization?page=2", "“量化”只有 1 页。"),
        ("/topics/quantization?page=999999999999", "“量化”只有 1 页。"),
        ("/topics/quantization?page=abc", "“量化”只有 1 页。"),
        ("/topics/quantization?page=0", "“量化”只有 1 页。"),
        ("/topics/" + "x" * 5000, "找不到这个页面"),
        ("/topics/no-such-topic.atom", "找不到这个页面"),
        ("/topics/no-such-topic.json", "找不到这个页面"),
    ):
        status, html, headers = await get(site, path)
        assert status == 404, path
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert sentence in html, path
        assert "<script" not in html
    _, en, _ = await get(site, "/topics/quantization?page=7", **{"Accept-Language": "en"})
    assert "“Quantization” has only 1 page(s)." in en


async def test_a_topic_without_entries_has_a_page_and_empty_feeds(
    site: Client, web_archive: Database
) -> None:
    counts = await topic_counts(web_archive.reader)
    slug = next(t.slug for t in load_catalog().topics if t.slug not in counts)
    status, html, _ = await get(site, f"/topics/{slug}")
    assert status == 200 and "往期里还没有这个主题的条目。" in html
    status, body, _ = await get(site, f"/topics/{slug}.atom")
    feed = ET.fromstring(body.encode())
    assert status == 200 and feed.findall(f"{ATOM}entry") == []
    assert feed.findtext(f"{ATOM}updated") == "1970-01-01T00:00:00Z"
    status, body, _ = await get(site, f"/topics/{slug}.json")
    assert status == 200 and json.loads(body)["items"] == []


# --- topic feeds --------------------------------------------------------------------------


def atom_entries(body: str) -> dict[str, ET.Element]:
    feed = ET.fromstring(body.encode("utf-8"))
    return {e.findtext(f"{ATOM}id") or "": e for e in feed.findall(f"{ATOM}entry")}


async def test_topic_atom_feed_is_valid_with_stable_ids(site: Client) -> None:
    status, body, headers = await get(site, "/topics/quantization.atom")
    assert status == 200 and headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(body.encode("utf-8"))
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (feed.findtext(f"{ATOM}{name}") or "").strip(), name
    assert feed.findtext(f"{ATOM}id") == f"{PUBLIC_URL}/topics/quantization"
    assert "量化" in (feed.findtext(f"{ATOM}title") or "")
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    rels = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert rels == {
        "self": f"{PUBLIC_URL}/topics/quantization.atom",
        "alternate": f"{PUBLIC_URL}/topics/quantization",
    }
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 15
    ids = [e.findtext(f"{ATOM}id") or "" for e in entries]
    assert len(set(ids)) == 15
    assert "tag:digest.example.org,2021-01-05:https://example.org/int8" in ids
    for entry in entries:
        for name in ("id", "title", "updated", "published"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), name
        assert STAMP.fullmatch(entry.findtext(f"{ATOM}updated") or "")
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("rel") == "alternate"
        assert re.fullmatch(rf"{PUBLIC_URL}/issues/\d{{4}}-\d\d-\d\d#e-\d+", link.get("href") or "")
        content = entry.findtext(f"{ATOM}content") or ""
        assert "<script" not in content and "javascript:" not in content
    _, again, _ = await get(site, "/topics/quantization.atom")
    assert again == body


async def test_topic_json_feed_has_the_required_fields(site: Client) -> None:
    status, body, headers = await get(site, "/topics/quantization.json")
    assert status == 200 and headers["Content-Type"] == "application/feed+json; charset=utf-8"
    feed = json.loads(body)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert "量化" in feed["title"] and feed["feed_url"] == f"{PUBLIC_URL}/topics/quantization.json"
    assert feed["home_page_url"] == f"{PUBLIC_URL}/topics/quantization"
    assert len(feed["items"]) == 15
    _, atom, _ = await get(site, "/topics/quantization.atom")
    assert [i["id"] for i in feed["items"]] == list(atom_entries(atom))  # the same ids
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["url"].startswith(f"{PUBLIC_URL}/issues/")
        assert item.get("content_html") and "<script" not in item["content_html"]
        assert STAMP.fullmatch(item["date_modified"])


async def next_second() -> None:
    """Wait for the store's clock (whole seconds) to move on: until the next second."""
    start = utc_now()
    await asyncio.sleep(1.001 - time.time() % 1)
    assert utc_now() > start


async def test_a_republished_issue_updates_its_topic_feed_items(
    site: Client, web_archive: Database
) -> None:
    _, body, _ = await get(site, "/topics/quantization.atom")
    before = {k: e.findtext(f"{ATOM}updated") for k, e in atom_entries(body).items()}
    await next_second()
    edited = make_issue(
        "2021-02-02",
        *(
            make_entry(f"量化方法第 {n} 篇", url=f"https://example.org/q{n}", summary="低比特量化")
            for n in range(1, 13)
        ),
        make_entry("量化新增一篇", url="https://example.org/q13", summary="低比特量化"),
        title="嵌入式AI简报 (2021-02-02) 量化专题",
    )
    await web_archive.write(lambda c: ingest_issue(c, edited, "third-2", "third-2"))
    _, body, _ = await get(site, "/topics/quantization.atom")
    after = {k: e.findtext(f"{ATOM}updated") for k, e in atom_entries(body).items()}
    new_id = "tag:digest.example.org,2021-02-02:https://example.org/q13"
    assert set(after) == set(before) | {new_id}  # the old ids stay: changes, not new items
    row = next(r for r in await list_issues(web_archive.reader) if r.date == "2021-02-02")
    edited_stamp = row.updated_at.replace(" ", "T") + "Z"
    for key, updated in after.items():
        if ",2021-02-02:" in key:
            assert updated == edited_stamp and (key == new_id or updated > (before[key] or ""))
        else:
            assert updated == before[key]
    feed = ET.fromstring(body.encode("utf-8"))
    assert feed.findtext(f"{ATOM}updated") == edited_stamp


# --- feeds in the reader's language -----------------------------------------------------


async def test_feeds_honour_the_language(site: Client) -> None:
    for path in ("/feed.atom", "/topics/quantization.atom"):
        _, zh, _ = await get(site, path)
        _, en, headers = await get(site, path, **{"Accept-Language": "en-US,en;q=0.9"})
        _, chosen, _ = await get(site, path + "?lang=en", **{"Accept-Language": "zh-CN"})
        assert headers["Vary"] == "Accept-Language"
        assert 'xml:lang="zh-CN"' in zh[:300] and 'xml:lang="en"' in en[:300]
        assert (
            ET.fromstring(chosen.encode()).get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
        )
    _, zh, _ = await get(site, "/feed.atom")
    _, en, _ = await get(site, "/feed.atom?lang=en")
    assert "&lt;h3&gt;开源&lt;/h3&gt;" in zh and "&lt;h3&gt;Open source&lt;/h3&gt;" in en
    self_link = ET.fromstring(en.encode()).find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and self_link.get("href") == f"{PUBLIC_URL}/feed.atom?lang=en"
    _, topic_en, _ = await get(site, "/topics/quantization.json?lang=en")
    feed = json.loads(topic_en)
    assert feed["language"] == "en" and "Quantization" in feed["title"]


# --- search anchors ---------------------------------------------------------------------


async def test_search_results_link_to_the_entry_anchor(site: Client) -> None:
    _, html, _ = await get(site, "/search?q=量化")
    found = re.findall(
        r'<li class="result">\s*<h3 class="entry-title"><a href="([^"]*)">(.*?)</a>', html, re.S
    )
    assert len(found) == 10
    pages: dict[str, str] = {}
    for href, title in found:
        path, _, anchor = unescape(href).partition("#")
        assert re.fullmatch(r"/issues/\d{4}-\d\d-\d\d", path) and re.fullmatch(r"e-\d+", anchor)
        if path not in pages:
            pages[path] = (await get(site, path))[1]
        plain = unescape(re.sub(r"</?mark>", "", title))
        assert anchored_title(pages[path], anchor) == plain


# --- serving many readers -----------------------------------------------------------------


async def test_pages_answer_304_to_a_reader_who_has_them(
    site: Client, web_archive: Database
) -> None:
    for path in ("/issues/2021-01-05", "/search?q=量化", "/topics/quantization"):
        status, html, headers = await get(site, path)
        assert status == 200 and headers["ETag"] and headers["Cache-Control"] == "no-cache"
        status, body, again = await get(site, path, **{"If-None-Match": headers["ETag"]})
        assert status == 304 and body == "" and again["ETag"] == headers["ETag"]
        several = f'"0123",W/{headers["ETag"]}'  # a reader with more than one copy
        assert (await get(site, path, **{"If-None-Match": several}))[0] == 304
    _, _, before = await get(site, "/topics/quantization")
    await add_quantization_issue(web_archive, 1)
    status, html, after = await get(
        site, "/topics/quantization", **{"If-None-Match": before["ETag"]}
    )
    assert status == 200 and after["ETag"] != before["ETag"] and "INT8 量化实践 1" in html


async def test_concurrent_readers_share_one_read_of_the_archive_version(
    web_archive: Database,
) -> None:
    from bot.web.version import ArchiveVersion

    version = ArchiveVersion(web_archive.reader)
    seen = await asyncio.gather(*(version.current() for _ in range(50)))
    assert len(set(seen)) == 1 and version.reads == 1
    await add_quantization_issue(web_archive, 1)
    assert await version.current() > seen[0]  # a publish before the request shows at once
    assert version.reads == 2


TOPIC_ROUTES = [
    "/topics",
    "/topics/quantization",
    "/topics/quantization?page=9",
    "/topics/quantization.atom",
    "/topics/quantization.json",
    "/topics/nope",
]


async def test_topic_routes_send_the_security_headers(site: Client) -> None:
    for path in TOPIC_ROUTES:
        _, _, headers = await get(site, path)
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path


async def test_topic_pages_in_both_languages_without_javascript(site: Client) -> None:
    for path in TOPIC_ROUTES[:2]:
        for lang, word in (("zh", "主题"), ("en", "Topics")):
            status, html, _ = await get(site, f"{path}?lang={lang}")
            assert status == 200 and word in html, (path, lang)
            assert "<script" not in html and re.search(r"<[^>]+\son\w+=", html) is None
            assert "<main>" in html and "<header" in html and "<footer" in html
