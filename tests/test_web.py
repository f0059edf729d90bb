"""The public site (bot.web) over real HTTP on a real archive: every route, bad input,
escaping, languages, headers, the feeds; and `bot run` serving it beside /healthz."""

from __future__ import annotations

import asyncio
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestClient
from multidict import CIMultiDict
from pydantic import SecretStr

from bot.config import Settings
from bot.store.database import Database, open_database
from bot.store.issues import get_issue, ingest_issue, list_issues, list_revisions
from tests.support.emulator import EmulatorClient
from tests.support.run import TEST_TOKEN, free_port
from tests.support.store import make_entry, make_issue
from tests.support.web import BOT_USERNAME, LONG_URL, PUBLIC_URL, ingest_fixtures

Client = TestClient  # type: ignore[type-arg]
ATOM = "{http://www.w3.org/2005/Atom}"
ROUTES = ["/", "/issues", "/issues/2021-01-05", "/search", "/search?q=量化"]


async def get(site: Client, path: str, **headers: str) -> tuple[int, str, CIMultiDict[str]]:
    async with site.get(path, headers=headers, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.copy()


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


# --- pages -----------------------------------------------------------------------------


async def test_home_shows_the_latest_issue_headlines_feeds_and_telegram(site: Client) -> None:
    status, html, headers = await get(site, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "嵌入式AI简报 (2021-02-02) 量化专题" in html  # the latest of the three
    links = hrefs(html)
    assert "/issues/2021-02-02#e-1" in links and "/issues/2021-02-02#e-8" in links
    assert "/issues/2021-02-02#e-9" not in links  # headlines only
    assert "阅读全部 12 条" in html
    assert {"/feed.atom", "/feed.json", f"https://t.me/{BOT_USERNAME}"} <= set(links)


async def test_issues_lists_every_issue_newest_first_with_label_and_count(
    site: Client, web_archive: Database
) -> None:
    status, html, _ = await get(site, "/issues")
    assert status == 200
    dates = re.findall(r'href="/issues/(\d{4}-\d{2}-\d{2})"', html)
    assert dates == ["2021-02-02", "2021-01-19", "2021-01-05"]
    for row in await list_issues(web_archive.reader):
        assert row.description in html  # the same description `bot issues` prints
        assert f"{row.entries} 条" in html


async def test_issue_page_has_sections_every_entry_link_anchor_and_revision(
    site: Client, web_archive: Database
) -> None:
    status, html, _ = await get(site, "/issues/2021-01-05")
    assert status == 200
    stored = await get_issue(web_archive.reader, "2021-01-05")
    assert stored is not None
    for n in range(1, len(stored.issue.entries) + 1):
        assert f'id="e-{n}"' in html
    assert "<h2>论文</h2>" in html and "<h2>开源</h2>" in html
    links = hrefs(html)
    for url in (
        "https://example.org/int8",
        "https://github.com/example/int8",
        "https://example.org/survey",
    ):
        assert url in links
    assert LONG_URL.replace("&", "&amp;") in links
    assert "来源：机器之心" in html
    assert "介绍了 8 比特量化的流程。" in html and "第二段：与剪枝结合的效果。" in html
    assert "模型压缩综述（修订版）" in html  # the revision shown is the latest
    revisions = await list_revisions(web_archive.reader, "2021-01-05")
    assert len(revisions) == 2
    assert "第 2 版" in html
    changed = revisions[-1].ingested_at.replace(" ", "T") + "Z"
    assert f'<time datetime="{changed}">' in html


async def test_entry_text_is_escaped_and_unsafe_links_are_not_links(site: Client) -> None:
    _, html, _ = await get(site, "/issues/2021-01-05")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html  # shown, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    for href in hrefs(html):
        assert not href.lower().startswith(("javascript:", "data:")), href
    assert "标题里有 HTML" in html  # the entry is there, its title just is not a link
    assert '<span class="unsafe">data 链接</span>' in html


@pytest.mark.parametrize(
    "path",
    [
        "/issues/2020-01-01",  # a real date, no issue
        "/issues/2021-13-45",
        "/issues/2021-02-30",
        "/issues/2021-1-5",
        "/issues/abc",
        "/issues/2021-01-05/extra",
        "/issues/%3Cscript%3E",
        "/nothing-here",
        "/static/../pyproject.toml",
    ],
)
async def test_unknown_and_malformed_addresses_get_the_404_page(site: Client, path: str) -> None:
    status, html, headers = await get(site, path)
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "找不到这个页面" in html and 'href="/issues"' in html
    assert "<script" not in html


async def test_404_names_the_missing_date(site: Client) -> None:
    _, html, _ = await get(site, "/issues/2020-01-01", **{"Accept-Language": "en"})
    assert "There is no issue dated 2020-01-01." in html


# --- search ----------------------------------------------------------------------------


def results(html: str) -> list[str]:
    return re.findall(
        r'<li class="result">.*?<h3 class="entry-title"><a[^>]*>(.*?)</a>', html, re.S
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("蒸", ["知识<mark>蒸</mark>馏入门", "模型压缩综述（修订版）"]),  # one Chinese character
        ("蒸馏", ["知识<mark>蒸馏</mark>入门", "模型压缩综述（修订版）"]),  # two (in a summary)
        ("ncnn", ["<mark>NCNN</mark> 发布新版本"]),
        ('"知识蒸馏"', ["<mark>知识蒸馏</mark>入门"]),  # a phrase
    ],
)
async def test_search_uses_the_archive_engine(
    site: Client, query: str, expected: list[str]
) -> None:
    status, html, _ = await get(site, f"/search?q={query}")
    assert status == 200
    assert results(html) == expected


async def test_search_exclusion_and_paging(site: Client) -> None:
    _, first, _ = await get(site, "/search?q=量化")
    _, without, _ = await get(site, "/search?q=量化 -专题 -方法")
    assert "共 15 条 · 第 1/2 页" in first  # 12 + 3 entries of 2021-01-05
    assert len(results(first)) == 10
    assert not any("方法" in r for r in results(without)) and results(without)
    next_link = re.search(r'<a rel="next" href="([^"]*)"', first)
    assert next_link is not None
    _, second, _ = await get(site, next_link.group(1).replace("&amp;", "&"))
    assert len(results(second)) == 5 and 'rel="prev"' in second and 'rel="next"' not in second
    assert '<ol class="results" start="11">' in second


async def test_search_results_are_escaped(site: Client) -> None:
    _, html, _ = await get(site, "/search?q=HTML")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert not any(h.lower().startswith("javascript:") for h in hrefs(html))


async def test_search_without_results_helps(site: Client) -> None:
    _, html, _ = await get(site, "/search?q=区块链")
    assert "没有找到“区块链”。" in html and "试试" in html and 'class="help"' in html
    _, empty, _ = await get(site, "/search")
    assert 'class="help"' in empty and 'class="result"' not in empty


@pytest.mark.parametrize("query", ["量" * 10_000, "a" * 10_000, "<b>" * 3_000])
async def test_a_huge_query_is_bounded_not_an_error(site: Client, query: str) -> None:
    status, html, _ = await get(site, "/search?" + "q=" + query)
    assert status == 200
    assert "查询太长，只用了前 200 个字符。" in html
    assert len(html) < 20_000
    assert "<b><b>" not in html


@pytest.mark.parametrize("page", ["abc", "-3", "0", "999999999999", ""])
async def test_a_bad_page_number_is_not_an_error(site: Client, page: str) -> None:
    status, _, _ = await get(site, f"/search?q=量化&page={page}")
    assert status == 200


# --- languages, headers, no JavaScript ----------------------------------------------------


async def test_language_from_accept_language_and_switchable(site: Client) -> None:
    _, zh, headers = await get(site, "/issues")
    assert '<html lang="zh-CN">' in zh and headers["Vary"] == "Accept-Language"
    _, en, _ = await get(site, "/issues", **{"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"})
    assert '<html lang="en">' in en and "Past issues" in en
    _, pref, _ = await get(site, "/issues", **{"Accept-Language": "fr, zh-TW;q=0.4, en;q=0.3"})
    assert '<html lang="zh-CN">' in pref
    _, chosen, _ = await get(site, "/issues?lang=en", **{"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in chosen
    assert 'href="/issues/2021-01-05?lang=en"' in chosen  # the choice sticks to links
    assert 'href="/issues?lang=zh"' in chosen  # and the switch goes back
    assert 'href="/issues?lang=en"' in zh


@pytest.mark.parametrize("path", ROUTES)
async def test_every_page_in_both_languages_without_javascript(site: Client, path: str) -> None:
    for lang, word in (("zh", "往期"), ("en", "Past issues")):
        sep = "&" if "?" in path else "?"
        status, html, _ = await get(site, f"{path}{sep}lang={lang}")
        assert status == 200 and word in html
        assert "<script" not in html
        assert re.search(r"<[^>]+\son\w+=", html) is None  # no inline handlers
        assert "<main>" in html and "<header" in html and "<footer" in html


@pytest.mark.parametrize(
    "path", [*ROUTES, "/feed.atom", "/feed.json", "/issues/1999-01-01", "/nope"]
)
async def test_security_headers_on_every_response(site: Client, path: str) -> None:
    _, _, headers = await get(site, path)
    csp = headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


async def test_stylesheet_is_cached_by_content_hash(site: Client) -> None:
    _, html, _ = await get(site, "/")
    css = re.search(r'<link rel="stylesheet" href="(/static/site\.[0-9a-f]+\.css)">', html)
    assert css is not None
    status, body, headers = await get(site, css.group(1))
    assert status == 200 and headers["Content-Type"] == "text/css; charset=utf-8"
    assert headers["Cache-Control"].startswith("public, max-age=") and "ETag" in headers
    assert "overflow-wrap: anywhere" in body and "prefers-color-scheme: dark" in body
    assert '"PingFang SC"' in body and '"Noto Sans CJK SC"' in body
    assert '"Microsoft YaHei"' in body and "sans-serif" in body
    _, _, headers = await get(site, css.group(1))  # the headers came through the security hook
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, _, _ = await get(site, css.group(1), **{"If-None-Match": headers["ETag"]})
    assert status == 304
    status, _, headers = await get(site, "/static/site.0123456789ab.css")  # an old page's
    assert status == 302 and headers["Location"] == css.group(1)


# --- feeds -----------------------------------------------------------------------------


async def test_atom_feed_is_valid_with_stable_ids(site: Client, web_archive: Database) -> None:
    status, body, headers = await get(site, "/feed.atom")
    assert status == 200 and headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(body.encode("utf-8"))
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (feed.findtext(f"{ATOM}{name}") or "").strip(), name
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    entries = feed.findall(f"{ATOM}entry")
    rows = await list_issues(web_archive.reader)
    assert len(entries) == len(rows) == 3
    for entry, row in zip(entries, rows, strict=True):
        for name in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), name
        link = entry.find(f"{ATOM}link")
        assert link is not None
        assert entry.findtext(f"{ATOM}id") == link.get("href") == f"{PUBLIC_URL}/issues/{row.date}"
        assert entry.findtext(f"{ATOM}updated") == row.updated_at.replace(" ", "T") + "Z"
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.findtext(f"{ATOM}updated") or ""
        )
        content = entry.findtext(f"{ATOM}content") or ""
        assert "<script" not in content and "javascript:" not in content
    _, again, _ = await get(site, "/feed.atom")
    assert again == body  # stable


async def test_json_feed_has_the_required_fields(site: Client) -> None:
    status, body, headers = await get(site, "/feed.json")
    assert status == 200 and headers["Content-Type"] == "application/feed+json; charset=utf-8"
    feed = json.loads(body)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and isinstance(feed["items"], list) and len(feed["items"]) == 3
    assert feed["feed_url"] == f"{PUBLIC_URL}/feed.json"
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"].startswith(f"{PUBLIC_URL}/issues/")
        assert item.get("content_html") or item.get("content_text")
        assert "<script" not in item["content_html"]


async def test_a_republished_issue_updates_its_feed_item(
    site: Client, web_archive: Database
) -> None:
    async def atom_updated() -> dict[str, str]:
        _, body, _ = await get(site, "/feed.atom")
        feed = ET.fromstring(body.encode("utf-8"))
        return {
            e.findtext(f"{ATOM}id") or "": e.findtext(f"{ATOM}updated") or ""
            for e in feed.findall(f"{ATOM}entry")
        }

    before = await atom_updated()
    await asyncio.sleep(1.05)  # the store's timestamps have whole seconds
    edited = make_issue(
        "2021-01-19", make_entry("NCNN 发布新版本（更正）", url="https://example.org/ncnn")
    )
    await web_archive.write(lambda c: ingest_issue(c, edited, "edited", "edited"))
    after = await atom_updated()
    assert after.keys() == before.keys()  # same ids: a feed reader sees a change, not a new item
    changed = f"{PUBLIC_URL}/issues/2021-01-19"
    assert after[changed] > before[changed]
    assert {k: v for k, v in after.items() if k != changed} == {
        k: v for k, v in before.items() if k != changed
    }


async def test_pages_show_a_republished_issue_at_once(site: Client, web_archive: Database) -> None:
    """Issue and search pages are kept between requests, but never past a publish."""
    for _ in range(2):
        _, page, _ = await get(site, "/issues/2021-01-19")
        _, found, _ = await get(site, "/search?q=NCNN")
    assert "NCNN 发布新版本" in page and "更正" not in page and "共 1 条" in found
    edited = make_issue(
        "2021-01-19",
        make_entry("NCNN 发布新版本（更正）", url="https://example.org/ncnn"),
        make_entry("NCNN 在树莓派上", url="https://example.org/ncnn-pi"),
    )
    await web_archive.write(lambda c: ingest_issue(c, edited, "edited", "edited"))
    _, page, _ = await get(site, "/issues/2021-01-19")
    _, found, _ = await get(site, "/search?q=NCNN")
    assert "NCNN 发布新版本（更正）" in page and "NCNN 在树莓派上" in page
    assert "共 2 条" in found


async def test_feed_etag_answers_304(site: Client) -> None:
    _, _, headers = await get(site, "/feed.json")
    status, _, _ = await get(site, "/feed.json", **{"If-None-Match": headers["ETag"]})
    assert status == 304


async def test_an_empty_archive_still_serves_every_route(database: Database) -> None:
    from aiohttp.test_utils import TestServer

    from bot.web import build_app
    from tests.support.web import site_settings

    async with TestClient(TestServer(build_app(database, site_settings()))) as client:
        for path in ("/", "/issues", "/search?q=量化", "/feed.atom", "/feed.json"):
            status, _, _ = await get(client, path)
            assert status == 200, path
        _, html, _ = await get(client, "/")
        assert "还没有发布任何一期。" in html
        _, atom, _ = await get(client, "/feed.atom")
        assert ET.fromstring(atom.encode()).findtext(f"{ATOM}updated")


# --- `bot run` --------------------------------------------------------------------------


@pytest.mark.slow  # the whole daemon, aiogram included
async def test_bot_run_serves_the_site_beside_healthz(
    tmp_path: Path, emulator: EmulatorClient
) -> None:
    """Polling mode with BOT_PUBLIC_URL: the daemon listens on BOT_LISTEN for the site."""
    from bot.run.daemon import Daemon
    from bot.run.lease import held_lease
    from bot.run.options import RunOptions

    port = free_port()
    settings = Settings.model_construct(
        token=SecretStr(TEST_TOKEN),
        api_base=emulator.base_url,
        db=tmp_path / "bot.sqlite3",
        public_url=PUBLIC_URL,
        username=BOT_USERNAME,
    )
    stop = asyncio.Event()
    async with (
        open_database(settings.db) as database,
        held_lease(database, standby=False, stop=stop) as lease,
    ):
        assert lease is not None
        await ingest_fixtures(database)
        options = RunOptions(listen=f"127.0.0.1:{port}", poll_seconds=0.2, polling_timeout=1)
        daemon = Daemon(settings, options, database)
        task = asyncio.create_task(daemon.run(stop, lease))
        try:
            await asyncio.wait_for(daemon.ready.wait(), 20)
            async with ClientSession(f"http://127.0.0.1:{port}") as http:
                async with http.get("/issues/2021-01-05") as response:
                    assert response.status == 200
                    assert "端侧量化：INT8 推理在手机上的实践" in await response.text()
                    assert response.headers["X-Content-Type-Options"] == "nosniff"
                async with http.get("/feed.atom") as response:
                    feed = ET.fromstring(await response.read())
                    assert feed.findtext(f"{ATOM}id") == f"{PUBLIC_URL}/"
                async with http.get("/healthz") as response:
                    assert response.status in (200, 503)
                    assert "mode" in await response.json()
        finally:
            stop.set()
            assert await task == 0


# --- settings ---------------------------------------------------------------------------


def test_site_settings_are_checked_with_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import SettingsError, load_settings

    for name in ("BOT_PUBLIC_URL", "BOT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(public_url="https://digest.example.org/", username="@digest_bot")
    assert settings.public_url == "https://digest.example.org" and settings.username == "digest_bot"
    for bad in ("ftp://digest.example.org", "digest.example.org", "https://x.org/?a=1"):
        with pytest.raises(SettingsError, match="BOT_PUBLIC_URL"):
            load_settings(public_url=bad)
    with pytest.raises(SettingsError, match="BOT_USERNAME"):
        load_settings(username="not a name")
