"""CDSBOT_SEND_PACING=off: refused unless the Bot API is on loopback; when on, sends skip the pacer."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from storage.errors import ConfigError
from tests.harness import TelegramHarness


@pytest.mark.parametrize("env", [
    {"CDSBOT_SEND_PACING": "off"},  # the default URLs are the real APIs
    {"CDSBOT_SEND_PACING": "off", "TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_API_BASE_URL": "https://api.telegram.org/bot"},
    {"CDSBOT_SEND_PACING": "off", "TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_API_BASE_URL": "http://10.0.0.5:8081/bot"},
    {"CDSBOT_SEND_PACING": "off", "TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
     "ZALO_BOT_TOKEN": "2:y"},  # Zalo still on its real API
    {"CDSBOT_SEND_PACING": "sometimes"},
])
def test_pacing_off_refused_unless_every_api_is_local(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="CDSBOT_SEND_PACING"):
        load_settings(env, env_file=None)


def test_pacing_setting_values() -> None:
    assert load_settings({}, env_file=None).send_pacing
    assert load_settings({"CDSBOT_SEND_PACING": "on"}, env_file=None).send_pacing
    for host in ("127.0.0.1:9000", "localhost", "[::1]:9000"):
        s = load_settings({"CDSBOT_SEND_PACING": "off", "TELEGRAM_BOT_TOKEN": "1:x",
                           "TELEGRAM_API_BASE_URL": f"http://{host}/bot"}, env_file=None)
        assert not s.send_pacing


@pytest.mark.parametrize("pacing", ["on", "off"])
async def test_pacing_off_sends_without_the_pacer(tg: TelegramHarness, pacing: str) -> None:
    """A 429 on a reply: with pacing on the pacer waits and retries inside the send (the dispatcher never
    sees it); with pacing off there is no pacer, so the dispatcher's own retry (on the test clock) does."""
    tg.env["CDSBOT_SEND_PACING"] = pacing
    await tg.restart()
    channel = tg.bot.channels[0]  # type: ignore[union-attr]
    assert (channel.app.bot.rate_limiter is None) == (pacing == "off")
    tg.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    sent = await tg.say(501, "xin chào")
    assert len(sent) == 1 and len(tg.fake.calls("sendMessage")) == 2
    assert (tg.waited >= 1) == (pacing == "off")
