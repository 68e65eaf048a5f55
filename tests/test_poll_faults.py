"""Telegram polling never goes deaf: 409, 5xx, garbage and slow answers, updates PTB cannot read."""

from __future__ import annotations

import asyncio
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from bot.health import health_of
from storage.models import ProcessedUpdate, QuarantinedUpdate
from tests.fakes.bad_updates import callback_with_empty_markup, my_chat_member_jan_2025
from tests.harness import TelegramHarness

CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
NGINX_502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>" \
            "</center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"


def metric(text: str, name: str, **labels: str) -> float:
    """One sample's value from a Prometheus exposition (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def poll_errors(reason: str) -> float:
    from bot.metrics import POLL_ERRORS

    return POLL_ERRORS.labels("telegram", reason)._value.get()


async def wait_until(cond, timeout: float = 10.0) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def quarantined(tg: TelegramHarness) -> list[QuarantinedUpdate]:
    assert tg.bot is not None
    async with tg.bot.db.session() as s:
        return list((await s.exec(select(QuarantinedUpdate).order_by(QuarantinedUpdate.id))).all())


async def test_unreadable_updates_in_a_batch_are_quarantined_and_skipped(tg: TelegramHarness) -> None:
    fake = tg.fake
    await tg.stop()  # everything below is pending when the bot starts: one batch, as after an outage
    good = [fake.queue(fake.message(uid, "/trogiup")) for uid in (101, 102)]
    bad_member = fake.queue(my_chat_member_jan_2025(fake.bot_user()))
    good.append(fake.queue(fake.message(103, "/trogiup")))
    bad_callback = fake.queue(callback_with_empty_markup(fake.callback(104, "menu", message_id=9)))
    good.append(fake.queue(fake.message(105, "/trogiup")))
    await tg.start()
    sent = await fake.wait_for_sent(4)
    assert sorted(int(m.chat_id) for m in sent) == [101, 102, 103, 105]
    await wait_until(lambda: fake.confirmed_update_id >= bad_callback["update_id"] or len(fake.calls("getUpdates")) > 2)
    rows = await quarantined(tg)
    assert [(r.channel, r.update_key) for r in rows] == [
        ("telegram", str(bad_member["update_id"])), ("telegram", str(bad_callback["update_id"]))]
    assert "can_edit_tag" in rows[0].error and "inline_keyboard" in rows[1].error
    assert rows[0].payload["my_chat_member"]["new_chat_member"]["status"] == "restricted"  # kept raw
    # the offset moved past every update: a restart fetches none of them again
    await tg.restart()
    fake.queue(fake.message(106, "/trogiup"))
    sent = await fake.wait_for_sent(5)
    assert sorted(int(m.chat_id) for m in sent) == [101, 102, 103, 105, 106]  # nothing answered twice
    assert len(await quarantined(tg)) == 2
    assert tg.bot is not None
    async with tg.bot.db.session() as s:
        assert len((await s.exec(select(ProcessedUpdate))).all()) == 5


async def test_getupdates_asks_only_for_the_handled_update_types(tg: TelegramHarness) -> None:
    await wait_until(lambda: bool(tg.fake.calls("getUpdates")))
    assert tg.fake.calls("getUpdates")[-1]["allowed_updates"] == ["message", "edited_message", "callback_query"]
    # Telegram then creates no my_chat_member update for this bot at all
    tg.fake.queue(my_chat_member_jan_2025(tg.fake.bot_user()))
    assert tg.fake.updates == []


async def test_conflict_409_is_logged_loudly_and_polling_goes_on(tg: TelegramHarness,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    before = poll_errors("conflict")
    tg.fake.fail_next("getUpdates", 409, CONFLICT, times=3)
    with caplog.at_level(logging.ERROR, logger="bot.channels.telegram.channel"):
        sent = await tg.say(201, "/trogiup")
        await wait_until(lambda: poll_errors("conflict") - before == 3)
    assert [int(m.chat_id) for m in sent] == [201]
    assert any("ANOTHER INSTANCE IS POLLING THE SAME BOT TOKEN" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("fault", ["5xx", "html", "not_json", "no_result", "slow"])
async def test_bad_answers_are_retried_and_nothing_is_lost(tg: TelegramHarness, fault: str) -> None:
    fake = tg.fake
    reason = {"5xx": "network", "html": "network", "not_json": "bad_answer", "no_result": "bad_answer",
              "slow": "timeout"}[fault]
    before = poll_errors(reason)
    if fault == "5xx":
        fake.fail_next("getUpdates", 500, "Internal Server Error", times=2)
    elif fault == "html":
        fake.fail_raw("getUpdates", 502, NGINX_502, times=2)
    elif fault == "not_json":
        fake.fail_raw("getUpdates", 200, "<html>Đang bảo trì</html>", times=2)
    elif fault == "no_result":
        fake.fail_raw("getUpdates", 200, '{"ok": true}', content_type="application/json", times=2)
    else:  # answers only after the client's read timeout (1 s long poll + 0.5 s grace)
        fake.fail_raw("getUpdates", 200, '{"ok": true, "result": []}', content_type="application/json",
                      times=2, stall=3.0)
    await wait_until(lambda: poll_errors(reason) > before)
    sent = await tg.say(202, "/trogiup")
    assert [int(m.chat_id) for m in sent] == [202]
    assert poll_errors(reason) - before == 2
    fake.queue(fake.message(203, "/trogiup"))
    assert [int(m.chat_id) for m in await fake.wait_for_sent(1)] == [203]


async def test_readyz_turns_503_when_polling_fails_for_two_minutes_and_back(tg: TelegramHarness,
                                                                            aiohttp_client) -> None:  # noqa: ANN001
    from datetime import timedelta

    assert tg.bot is not None
    client = await aiohttp_client(tg.bot.web)
    health = health_of(tg.bot.services)
    await wait_until(lambda: health.channels["telegram"].last_ok is not None)
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 200 and body["ready"] is True and body["database"]["ok"] is True
    assert body["channels"]["telegram"]["mode"] == "polling" and body["outbox"]["pending"] == 0
    assert (await client.get("/healthz")).status == 200

    tg.fake.fail_next("getUpdates", 502, "Bad Gateway", times=1_000_000)
    await wait_until(lambda: health.channels["telegram"].last_error is not None)
    tg.now += timedelta(minutes=1, seconds=59)
    assert (await client.get("/readyz")).status == 200  # not yet two minutes
    tg.now += timedelta(seconds=2)
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 503 and body["ready"] is False
    assert body["problems"] == ["telegram: no successful poll for 121 s"]
    assert body["channels"]["telegram"]["last_error"].startswith("network")

    tg.fake.clear_faults()
    await wait_until(lambda: health.channels["telegram"].last_ok == tg.now)
    resp = await client.get("/readyz")
    assert resp.status == 200 and (await resp.json())["problems"] == []
    sent = await tg.say(301, "/trogiup")  # and it answers again
    assert [int(m.chat_id) for m in sent] == [301]


async def test_readyz_turns_503_when_the_oldest_due_outbox_row_waits_ten_minutes(tg: TelegramHarness,
                                                                                aiohttp_client) -> None:  # noqa: ANN001
    from datetime import timedelta

    from handlers.messages import Outgoing
    from handlers.outbox import enqueue
    from storage.models import Outbox

    assert tg.bot is not None
    client = await aiohttp_client(tg.bot.web)
    async with tg.bot.db.transaction() as s:  # the harness runs no outbox worker: the row just waits
        await enqueue(s, channel="telegram", chat_id="401", out=Outgoing("Nhắc báo cáo"), now=tg.now)
    tg.now += timedelta(minutes=10)
    health_of(tg.bot.services).ok("telegram")  # polling itself is fine at the new time
    body = await (await client.get("/readyz")).json()
    assert body["ready"] is True and body["outbox"] == {"pending": 1, "failed": 0, "oldest_due_seconds": 600.0}
    tg.now += timedelta(seconds=1)
    health_of(tg.bot.services).ok("telegram")
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 503 and body["problems"] == ["outbox: oldest due message waiting 601 s"]
    assert tg.bot.outbox is not None
    assert await tg.bot.outbox.run_once() == 1  # the worker catches up
    resp = await client.get("/readyz")
    assert resp.status == 200
    async with tg.bot.db.session() as s:
        assert (await s.exec(select(Outbox.status))).all() == ["sent"]


async def test_metrics_expose_updates_sends_poll_errors_and_quarantine(tg: TelegramHarness,
                                                                       aiohttp_client) -> None:  # noqa: ANN001
    assert tg.bot is not None
    client = await aiohttp_client(tg.bot.web)
    before = await (await client.get("/metrics")).text()
    tg.fake.fail_next("getUpdates", 409, CONFLICT, times=1)
    await tg.say(501, "/trogiup")
    tg.fake.queue(my_chat_member_jan_2025(tg.fake.bot_user()))  # filtered by allowed_updates: never created
    resp = await client.get("/metrics")
    assert resp.status == 200 and resp.content_type == "text/plain"
    after = await resp.text()

    def delta(name: str, **labels: str) -> float:
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert delta("cdsbot_updates_total", channel="telegram", outcome="handled") == 1
    assert delta("cdsbot_sends_total", channel="telegram", kind="text", path="reply", result="ok") == 1
    assert delta("cdsbot_poll_errors_total", channel="telegram", reason="conflict") == 1
    assert delta("cdsbot_update_handling_seconds_count", channel="telegram") == 1
    assert metric(after, "cdsbot_outbox_pending") == 0 and metric(after, "cdsbot_quarantine_rows") == 0
    # the last good poll (the harness's clock stands still), read from /readyz's figures at the scrape
    last_ok = metric(after, "cdsbot_channel_last_ok_timestamp_seconds", channel="telegram")
    assert last_ok == tg.bot.services.now().timestamp()
    assert metric(after, "cdsbot_ready") == 1
    assert "cdsbot_quarantined_updates_total" in after or "cdsbot_quarantined_updates" in after
    assert "cdsbot_task_restarts" in after and "cdsbot_reminders" in after
