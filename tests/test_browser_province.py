"""The province office in a real (headless) Chromium: opens its signed link, reads the communes × months grid in
Xanh/Vàng/Đỏ, the ranking and the charts on a phone, drills into one of its communes and is refused one of
another province. Screenshots go to test-artifacts/."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.app import BotApp
from bot.config import load_settings
from bot.web.access import province_login_url
from handlers.services import Services
from storage.db import Database
from storage.models import Commune, Province
from tests.browser import (
    cleanup_profile,
    free_port,
    require_browser,
    screenshot,
    set_viewport,
    start_chromium,
    wait_for,
)
from tests.province_dash_support import GRID, MONTHS, NOW, PROVINCE, RANKING, A, C, build_province

SECRET = "browser-province-secret-0123456789"
LABELS = {"red": "Đỏ", "yellow": "Vàng", "green": "Xanh"}
# console errors, uncaught errors and CSP refusals, collected from before the page's own scripts run
CATCH = """window.__problems = [];
const _error = console.error.bind(console);
console.error = (...a) => { window.__problems.push("console.error: " + a.join(" ")); _error(...a); };
addEventListener("error", (e) => window.__problems.push("error: " + (e.message || e.target?.src || e.type)), true);
addEventListener("unhandledrejection", (e) => window.__problems.push("rejection: " + e.reason));
document.addEventListener("securitypolicyviolation", (e) => window.__problems.push("csp: " + e.violatedDirective));"""


@dataclass
class Served:
    base: str
    link: str
    other_commune: int


@pytest.fixture
async def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    require_browser()
    monkeypatch.setenv("CDSBOT_WEB_SECRET", SECRET)
    port = free_port()
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/province.db", "CDSBOT_HTTP_PORT": str(port)},
                             env_file=None)
    db = Database(settings.database_url)
    bot = BotApp.build(settings, db=db, services=Services(db=db, tz=settings.timezone, clock=lambda: NOW))
    await db.upgrade()
    await build_province(db)
    async with db.session() as s:
        province = (await s.exec(select(Province).where(Province.name == PROVINCE))).one()
        other = (await s.exec(select(Commune).where(Commune.name == C))).one()
    await bot.start(serve_http=True, background=False)
    base = f"http://127.0.0.1:{port}"
    try:
        yield Served(base, province_login_url(base, SECRET.encode(), province.id, NOW + timedelta(days=1)),  # type: ignore[arg-type]
                     other.id)  # type: ignore[arg-type]
    finally:
        await bot.stop()


def _text(driver: Any, css: str) -> str:
    return driver.find_element("css selector", css).text


def _loaded(driver: Any, value: str) -> None:
    wait_for(lambda: driver.find_element("tag name", "body").get_attribute("data-loaded") == value,
             f"the province page to load ({value})")


def _problems(driver: Any) -> list[str]:
    return driver.execute_script("return window.__problems || ['the error catcher did not run'];")


def _province_page(driver: Any, served: Served) -> None:
    from selenium.webdriver.support.ui import Select

    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH})
    driver.get(served.base + "/dashboard/province?t=p1.2.3")
    assert "không hợp lệ hoặc đã hết hạn" in _text(driver, "body")
    driver.get(served.link)
    assert driver.current_url == served.base + "/dashboard/province"  # the token left the address bar
    _loaded(driver, "6:2026-12")
    assert PROVINCE in _text(driver, "header h1")
    Select(driver.find_element("id", "months")).select_by_value("3")
    _loaded(driver, "3:2026-12")
    assert driver.current_url.endswith("?months=3")
    heads = [th.get_attribute("data-month") for th in driver.find_elements("css selector", "#grid thead th[data-month]")]
    assert heads == MONTHS
    for commune, colours in GRID.items():  # the colour's word in every cell, not the colour alone
        for key, colour in zip(MONTHS, colours, strict=True):
            css = f'#grid tr[data-commune="{commune}"] td[data-month="{key}"] .cell'
            assert _text(driver, css) == LABELS[colour], (commune, key)
            assert f"c-{colour}" in (driver.find_element("css selector", css).get_attribute("class") or "")
    rows = driver.find_elements("css selector", "#ranking tbody tr")
    assert [r.get_attribute("data-commune") for r in rows] == RANKING  # laggards first
    assert [r.find_element("css selector", ".cell").text for r in rows] == ["Đỏ", "Vàng", "Xanh"]
    assert _text(driver, "#card-red .big") == "1" and _text(driver, "#card-total .big") == "3"
    assert C not in _text(driver, "body")  # nothing of the other province
    wait_for(lambda: driver.execute_script(
        "const bars = [...document.querySelectorAll('#svg-activities rect.abar')];"
        "const segs = [...document.querySelectorAll('#svg-colours rect.seg')];"
        "const h = (r) => parseFloat(r.getAttribute('height'));"
        "return bars.length === 6 && segs.length === 8 && h(bars[5]) > h(bars[1]) && h(bars[1]) > 20"
        " && segs.every(s => h(s) > 0);"), "the two charts to draw")  # December's 12 above October's 9
    assert driver.execute_script("return document.getElementById('svg-colours').getBoundingClientRect().width") > 300
    assert "tháng 12/2026: 1 Đỏ, 1 Vàng, 1 Xanh" in (
        driver.find_element("id", "svg-colours").get_attribute("aria-label") or "")
    fallback = driver.execute_script(  # the chart's table, read by screen readers even while folded
        "return [...document.querySelectorAll('#table-activities tbody tr')].map(r => r.textContent.trim());")
    assert fallback[-1].startswith("tháng 12/2026") and "12" in fallback[-1]
    width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth];")
    assert width[0] <= width[1], f"the page scrolls sideways on a phone: {width}"
    screenshot(driver, "province-phone")
    screenshot(driver, "province-phone-full", full_page=True)
    set_viewport(driver, (1280, 900), mobile=False)
    screenshot(driver, "province-desktop-full", full_page=True)
    assert _problems(driver) == []

    # One of its communes opens on the commune page; one of another province does not.
    driver.find_element("css selector", f'#grid tr[data-commune="{A}"] th a').click()
    wait_for(lambda: driver.find_element("tag name", "body").get_attribute("data-loaded") == "2026-12",
             "the commune page")
    assert A in _text(driver, "header h1") and _text(driver, "#card-units .big") == "1/1"
    assert driver.find_element("id", "back").is_displayed()
    Select(driver.find_element("id", "period")).select_by_value("2026-11")  # A's November: never sent
    wait_for(lambda: driver.find_element("tag name", "body").get_attribute("data-loaded") == "2026-11",
             "the commune's November")
    assert "commune=" in driver.current_url and _text(driver, "#card-units .big") == "0/1"
    screenshot(driver, "province-commune-desktop")
    assert _problems(driver) == []
    driver.get(f"{served.base}/dashboard?commune={served.other_commune}")
    assert "không hợp lệ hoặc đã hết hạn" in _text(driver, "body")


async def test_province_page_in_chromium(served: Served, tmp_path: Path) -> None:
    profile = tmp_path / "chromium-profile"
    driver = await asyncio.to_thread(start_chromium, profile)
    try:  # selenium blocks, so it runs in a thread while this loop serves the app
        await asyncio.to_thread(_province_page, driver, served)
    finally:
        await asyncio.to_thread(driver.quit)
        cleanup_profile(profile)
