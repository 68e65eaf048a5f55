"""Headless Chromium for tests: find it (else skip, or fail under CI), start it, wait, take screenshots."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PHONE = (412, 915)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--no-proxy-server", "--lang=vi")


def browser_missing() -> str | None:
    """Why a real browser test cannot run here, or None."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        return (f"{' and '.join(missing)} not installed (Debian packages chromium and chromium-driver: "
                "apt-get install chromium chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[dev]')"
    return None


def require_browser() -> None:
    """Skip with the reason; under CI (CI=true) a missing browser is a failure, not a skip."""
    reason = browser_missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but the browser test cannot run: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_chromium(user_data_dir: Path, size: tuple[int, int] = PHONE) -> Any:
    """A headless Chromium with a fresh profile, emulating a phone of ``size`` CSS pixels (touch, 2× pixels).
    Selenium Manager never runs: both the browser and the driver paths are given."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={user_data_dir}")
    opts.add_argument(f"--window-size={size[0]},{size[1]}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    set_viewport(driver, size)
    return driver


def set_viewport(driver: Any, size: tuple[int, int], mobile: bool = True) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 2 if mobile else 1, "mobile": mobile})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": mobile})


def wait_for(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    """Poll ``check`` until it returns something truthy; AssertionError naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            got = check()
            if got:
                return got
        except Exception as exc:  # element not there yet, stale after a re-render, …
            last_error = exc
        time.sleep(0.1)
    detail = f" (last error: {last_error!r})" if last_error else ""
    raise AssertionError(f"timed out waiting for {what}{detail}")


def screenshot(driver: Any, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG under test-artifacts/: the viewport, or (``full_page``) the whole scrolled page."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if not full_page:
        driver.save_screenshot(str(path))
        return path
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def cleanup_profile(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
