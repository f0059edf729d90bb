"""The public site in a real browser: Debian's headless Chromium driven by Selenium through
Debian's chromium-driver. An issue page, a search results page, the topics and a topic
page at phone (390 px) and desktop (1280 px) widths: no horizontal scrolling, the
stylesheet applied (the CSP lets it in), CJK titles laid out; screenshots saved in the
test's temporary folder.

Needs ``apt-get install chromium chromium-driver fonts-noto-cjk`` (.ci/run does it); without
them the test is skipped with that message.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL = "apt-get install -y chromium chromium-driver fonts-noto-cjk"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
WIDTHS = (390, 1280)
PAGES = {
    "issue": "/issues/2021-01-05?lang=zh",
    "search": "/search?q=量化&lang=zh",
    "topics": "/topics?lang=zh",
    "topic": "/topics/quantization?lang=zh",
}

MEASURE = """
const title = document.querySelector('.entry-title, ul.topics a');
const box = title ? title.getBoundingClientRect() : null;
return {
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  overflowWrap: getComputedStyle(document.body).overflowWrap,
  title: title ? title.textContent.trim() : null,
  titleWidth: box ? box.width : 0,
  titleHeight: box ? box.height : 0,
  lang: document.documentElement.lang,
  background: getComputedStyle(document.body).backgroundColor,
};
"""


def missing_browser() -> list[str]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    fc_list = shutil.which("fc-list")
    fonts = (
        subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, timeout=30).stdout
        if fc_list
        else ""
    )
    if "Noto Sans CJK" not in fonts:
        missing.append("a CJK font (fonts-noto-cjk)")
    return missing


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    missing = missing_browser()
    if missing:
        pytest.skip(f"no browser to test with: {', '.join(missing)} missing; run `{INSTALL}`")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is missing: pip install -e '.[dev]'")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tmp_path / "profile"
    profile.mkdir()
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1280,900")
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "driver.log"))
    browser = webdriver.Chrome(options=options, service=service)
    try:
        yield browser
    finally:
        browser.quit()


def look(browser: Any, url: str, width: int, shot: Path, *, dark: bool = False) -> dict[str, Any]:
    """Open ``url`` in a viewport ``width`` CSS pixels wide; measure it and take a screenshot."""
    scheme = {"name": "prefers-color-scheme", "value": "dark" if dark else "light"}
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [scheme]})
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    browser.get(url)
    measured: dict[str, Any] = browser.execute_script(MEASURE)
    browser.save_screenshot(str(shot))
    return measured


async def test_pages_fit_a_phone_and_a_desktop_and_render_cjk(
    site: TestClient,  # type: ignore[type-arg]
    driver: Any,
    tmp_path: Path,
) -> None:
    base = str(site.make_url("")).rstrip("/")
    for width in WIDTHS:
        for name, path in PAGES.items():
            shot = tmp_path / f"{name}-{width}.png"
            # Selenium blocks: run it off the event loop that serves the site.
            seen = await asyncio.to_thread(look, driver, base + path, width, shot)
            where = f"{name} at {width} px"
            assert seen["innerWidth"] == width, where
            assert seen["scrollWidth"] <= seen["innerWidth"], f"{where} scrolls sideways: {seen}"
            assert seen["overflowWrap"] == "anywhere", f"{where}: the stylesheet did not apply"
            assert seen["lang"] == "zh-CN"
            assert seen["title"] and "量化" in seen["title"], where
            assert seen["titleWidth"] > 0 and seen["titleHeight"] > 0, f"{where}: {seen}"
            assert shot.stat().st_size > 1000, where
    light = await asyncio.to_thread(
        look, driver, base + PAGES["issue"], 390, tmp_path / "issue-390-light.png"
    )
    dark = await asyncio.to_thread(
        look, driver, base + PAGES["issue"], 390, tmp_path / "issue-390-dark.png", dark=True
    )
    assert light["background"] == "rgb(255, 255, 255)"
    assert dark["background"] != light["background"], "no dark mode"
    assert dark["scrollWidth"] <= dark["innerWidth"]
    print(f"screenshots: {tmp_path}")
