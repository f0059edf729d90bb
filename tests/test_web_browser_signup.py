"""Signing up by e-mail in a real browser (Debian's headless Chromium through Selenium,
the fixtures of test_web_browser.py): the form on a 390-px phone, the confirmation mail
from the SMTP sink on 127.0.0.1, the Confirm button, the preferences page (tick 量化,
save, reload: still ticked, and the database agrees), then the RFC 8058 one-click
unsubscribe. Screenshots of every step are saved in the test's temporary folder."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bot.store.database import Database
from bot.store.subscribers import find_subscriber
from bot.store.topics import subscriber_topics
from tests.support.forms import settle, site_path
from tests.support.smtp import Sink, text_part
from tests.test_web_browser import driver  # noqa: F401 - the shared browser fixture

pytestmark = pytest.mark.slow

ADDRESS = "walker@example.org"
FITS = "return [document.documentElement.scrollWidth, window.innerWidth];"


def at_phone_width(browser: Any) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 900, "deviceScaleFactor": 1, "mobile": True},
    )


def fits(browser: Any, shots: Path, name: str) -> None:
    """The page fits 390 px without sideways scrolling; screenshot it."""
    browser.save_screenshot(str(shots / f"{name}.png"))
    scroll, inner = browser.execute_script(FITS)
    assert inner == 390 and scroll <= inner, f"{name} scrolls sideways: {scroll} > {inner}"


def submit(browser: Any, css: str) -> None:
    """Press the button and wait until the next page has replaced this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.wait import WebDriverWait

    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(browser, 30).until(staleness_of(old))


def sign_up(browser: Any, base: str, shots: Path) -> str:
    from selenium.webdriver.common.by import By

    at_phone_width(browser)
    browser.get(f"{base}/?lang=zh")  # the home page's sign-up box fits a phone too
    browser.find_element(By.ID, "signup-email")
    fits(browser, shots, "0-home")
    browser.get(f"{base}/subscribe?lang=zh")
    fits(browser, shots, "1-subscribe")
    browser.find_element(By.ID, "email").send_keys(ADDRESS)
    browser.find_element(By.CSS_SELECTOR, 'input[name="topics"][value="pruning"]').click()
    submit(browser, "form.panel button[type=submit]")
    heading = browser.find_element(By.TAG_NAME, "h1").text
    fits(browser, shots, "2-check-your-inbox")
    return str(heading)


def confirm_and_set_preferences(browser: Any, confirm_url: str, shots: Path) -> dict[str, Any]:
    from selenium.webdriver.common.by import By

    browser.get(confirm_url)
    fits(browser, shots, "3-confirm")
    submit(browser, "main form button[type=submit]")
    confirmed = browser.find_element(By.TAG_NAME, "h1").text
    fits(browser, shots, "4-confirmed")
    submit(browser, 'main a[href*="/prefs/"]')
    prefs_url = browser.current_url
    fits(browser, shots, "5-preferences")
    quantization = 'input[name="topics"][value="quantization"]'
    before = browser.find_element(By.CSS_SELECTOR, quantization).is_selected()
    browser.find_element(By.CSS_SELECTOR, quantization).click()
    submit(browser, "form.panel button[type=submit]")
    saved = browser.find_element(By.ID, "saved").text
    fits(browser, shots, "6-saved")
    browser.get(prefs_url)  # a fresh load: what is stored, not what was typed
    after = browser.find_element(By.CSS_SELECTOR, quantization).is_selected()
    pruning = browser.find_element(By.CSS_SELECTOR, 'input[value="pruning"]').is_selected()
    unsubscribe = browser.find_element(By.CSS_SELECTOR, 'main a[href*="/unsubscribe/"]')
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
    )
    fits(browser, shots, "7-preferences-dark")
    return {
        "confirmed": confirmed,
        "saved": saved,
        "before": before,
        "after": after,
        "pruning": pruning,
        "unsubscribe": unsubscribe.get_attribute("href"),
    }


async def test_sign_up_confirm_preferences_and_one_click_unsubscribe(
    mail_site: TestClient,  # type: ignore[type-arg]
    smtp_sink: Sink,
    database: Database,
    driver: Any,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    base = str(mail_site.make_url("")).rstrip("/")
    heading = await asyncio.to_thread(sign_up, driver, base, tmp_path)
    assert heading == "请查收邮件"
    await settle(mail_site)
    (mail,) = smtp_sink.handler.received
    assert mail.rcpt_tos == [ADDRESS]
    link = re.search(r"https://\S+/confirm/\S+", text_part(mail.data))
    assert link is not None, "no confirmation link in the mail"
    seen = await asyncio.to_thread(
        confirm_and_set_preferences, driver, base + site_path(link.group(0)), tmp_path
    )
    assert seen["confirmed"] == "订阅成功" and seen["saved"] == "已保存。"
    assert (seen["before"], seen["after"], seen["pruning"]) == (False, True, True)
    subscriber = await find_subscriber(database.reader, ADDRESS)
    assert subscriber is not None and subscriber.status == "confirmed"
    terms = {t.term for t in await subscriber_topics(database.reader, subscriber.id)}
    assert terms == {"#pruning", "#quantization"}
    # RFC 8058: a mail client POSTs the body alone, without cookies or a form token.
    async with (
        aiohttp.ClientSession() as fresh,
        fresh.post(
            seen["unsubscribe"],
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as answer,
    ):
        assert answer.status == 200
    gone = await find_subscriber(database.reader, ADDRESS)
    assert gone is not None and gone.status == "unsubscribed"
    print(f"screenshots: {tmp_path}")
