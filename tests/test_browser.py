"""A person in a real (headless) Chromium: logs activities and a unit report in the web chat, then reads the
lead-office dashboard on a phone-sized screen. Screenshots go to test-artifacts/."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import BotApp
from bot.config import load_settings
from bot.demo import build_demo, dashboard_link, seed_demo
from handlers.services import Services
from storage.db import Database
from tests.browser import (
    cleanup_profile,
    free_port,
    require_browser,
    screenshot,
    set_viewport,
    start_chromium,
    wait_for,
)

NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)  # period 2026-12 is open; its deadline is 19/12
HCC = "Trung tâm Phục vụ hành chính công"


@dataclass
class Served:
    bot: BotApp
    base: str
    link: str


@pytest.fixture
async def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    require_browser()
    monkeypatch.setenv("CDSBOT_WEB_SECRET", "browser-test-secret-0123456789")
    port = free_port()
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/demo.db", "CDSBOT_HTTP_PORT": str(port)},
                             env_file=None)
    db = Database(settings.database_url)
    bot = build_demo(settings, services=Services(db=db, tz=settings.timezone, clock=lambda: NOW))
    await db.upgrade()
    await seed_demo(db, now=NOW)
    await bot.start(serve_http=True, background=False)
    base = f"http://127.0.0.1:{port}"
    try:
        yield Served(bot, base, await dashboard_link(bot, base))
    finally:
        await bot.stop()


class Chat:
    """The web chat page: pick a persona, type, tap the newest button with a label."""

    def __init__(self, driver: Any) -> None:
        self.d = driver

    def _bot_count(self) -> int:
        return len(self.d.find_elements("css selector", "#log .m.bot"))

    def _last_bot(self) -> str:
        return self.d.find_elements("css selector", "#log .m.bot")[-1].text

    def _act(self, action: Any, expect: str | None) -> str:
        before = self._bot_count()
        action()
        wait_for(lambda: self._bot_count() > before, "the bot's answer")
        if expect is not None:
            wait_for(lambda: expect in self._last_bot(), f"{expect!r} in {self._last_bot()!r}")
        return self._last_bot()

    def persona(self, key: str) -> None:
        self.d.find_element("css selector", f'#personas button[data-p="{key}"]').click()
        wait_for(lambda: "on" in (self.d.find_element("css selector", f'#personas button[data-p="{key}"]')
                                  .get_attribute("class") or ""), f"persona {key}")

    def say(self, text: str, expect: str | None = None) -> str:
        box = self.d.find_element("id", "t")

        def send() -> None:
            box.send_keys(text)
            self.d.find_element("css selector", "#f button").click()

        return self._act(send, expect)

    def tap(self, label: str, expect: str | None = None) -> str:
        buttons = [b for b in self.d.find_elements("css selector", "#log .ch button") if b.text.strip() == label]
        assert buttons, f"no button {label!r} under {self._last_bot()!r}"
        return self._act(buttons[-1].click, expect)


def _chat_and_report(driver: Any, base: str) -> None:
    driver.get(base + "/")
    chat = Chat(driver)
    chat.persona("member")
    chat.say("hỗ trợ 12 người kích hoạt VNeID, 3 hồ sơ DVC", expect="Thông tin trên đã đúng chưa?")
    chat.tap("Xác nhận", expect="Đã lưu")
    screenshot(driver, "chat-member-phone")
    chat.persona("officer")
    chat.say("/baocao", expect="Tình trạng thực hiện nhiệm vụ này?")
    chat.tap("Hoàn thành", expect="(2/4)")
    chat.tap("Đang thực hiện", expect="(3/4)")
    chat.say("85", expect="(4/4)")
    chat.tap("Đạt", expect="khó khăn")
    chat.tap("Không có", expect="kiến nghị")
    chat.tap("Không có", expect="Tóm tắt báo cáo")
    chat.tap("Gửi báo cáo", expect="đã được gửi đúng hạn")
    screenshot(driver, "chat-officer-phone")
    chat.persona("lead")
    chat.say("/bieudo", expect="Tiến độ")  # the charts come as pictures in the page, not as links
    wait_for(lambda: driver.execute_script(
        "const i = [...document.querySelectorAll('#log img.pic')];"
        "return i.length === 2 && i.every(x => x.complete && x.naturalWidth > 400);"), "two chart pictures")
    screenshot(driver, "chat-lead-charts-phone")


def _text(driver: Any, css: str) -> str:
    return driver.find_element("css selector", css).text


def _charts_loaded(driver: Any, key: str) -> None:
    for img in ("chart-act", "chart-ind"):
        wait_for(lambda img=img: driver.execute_script(
            "const i = document.getElementById(arguments[0]);"
            "return i.src.endsWith('period=' + arguments[1]) && i.complete && i.naturalWidth > 400;", img, key),
            f"{img} for {key} to load")


def _dashboard(driver: Any, served: Served) -> None:
    driver.get(served.base + "/dashboard?t=not-a-valid-token")
    assert "không hợp lệ hoặc đã hết hạn" in driver.find_element("tag name", "body").text
    screenshot(driver, "dashboard-403-phone")
    driver.get(served.link)
    assert driver.current_url == served.base + "/dashboard"  # the token left the address bar
    wait_for(lambda: driver.find_element("tag name", "body").get_attribute("data-loaded") == "2026-12",
             "the summary to load")
    assert "Xã Demo" in _text(driver, "header h1")
    assert _text(driver, "#period option:checked") == "tháng 12/2026"
    assert len(driver.find_elements("css selector", "#period option")) == 12
    assert _text(driver, "#card-units .big") == "1/2"  # the officer's unit report counted
    assert _text(driver, "#card-villages .big") == "1/2"
    assert _text(driver, f'#streams li[data-unit="{HCC}"] .badge') == "Đúng hạn"
    assert _text(driver, '#act-village tr[data-village="Thôn Nà Pài"][data-code="vneid"] td:nth-child(2)') == "12"
    assert _text(driver, '#act-village tr[data-village="Thôn Nà Pài"][data-code="dvc"] td:nth-child(2)') == "3"
    assert _text(driver, '#act-total tr[data-code="vneid"] td:nth-child(2)') == "12"
    assert "85%" in _text(driver, '#indicators li[data-code="1"]')
    assert _text(driver, '#indicators li[data-code="1"] .badge') == "Đạt, đúng tiến độ"
    _charts_loaded(driver, "2026-12")
    statuses = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "Promise.all(['dl-xlsx', 'dl-docx'].map(id => fetch(document.getElementById(id).href)"
        ".then(r => r.status + ' ' + r.headers.get('Content-Disposition')))).then(done);")
    assert statuses == ['200 attachment; filename="bao-cao-cds-2026-12.xlsx"',
                        '200 attachment; filename="bao-cao-cds-2026-12.docx"']
    width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth];")
    assert width[0] <= width[1], f"the page scrolls sideways on a phone: {width}"
    screenshot(driver, "dashboard-phone")
    screenshot(driver, "dashboard-phone-full", full_page=True)
    select = driver.find_element("id", "period")
    from selenium.webdriver.support.ui import Select

    Select(select).select_by_value("2026-11")
    wait_for(lambda: driver.find_element("tag name", "body").get_attribute("data-loaded") == "2026-11",
             "the previous month")
    # November was due before the demo's plan was imported (its reporting start): nobody owed it
    assert _text(driver, "#card-units .big") == "0/0" and driver.current_url.endswith("?period=2026-11")
    set_viewport(driver, (1280, 900), mobile=False)
    Select(driver.find_element("id", "period")).select_by_value("2026-12")
    wait_for(lambda: driver.find_element("tag name", "body").get_attribute("data-loaded") == "2026-12",
             "the open month again")
    _charts_loaded(driver, "2026-12")
    screenshot(driver, "dashboard-desktop-full", full_page=True)


async def test_chat_then_dashboard_in_chromium(served: Served, tmp_path: Path) -> None:
    profile = tmp_path / "chromium-profile"
    driver = await asyncio.to_thread(start_chromium, profile)
    try:  # selenium blocks, so it runs in a thread while this loop serves the app
        await asyncio.to_thread(_chat_and_report, driver, served.base)
        await asyncio.to_thread(_dashboard, driver, served)
    finally:
        await asyncio.to_thread(driver.quit)
        cleanup_profile(profile)


def test_missing_browser_skips_here_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import browser

    monkeypatch.setattr(browser, "CHROMIUM", "/nonexistent/chromium")
    assert "/nonexistent/chromium not installed" in (browser.browser_missing() or "")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium chromium-driver"):
        browser.require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but the browser test cannot run"):
        browser.require_browser()
