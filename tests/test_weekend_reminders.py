"""Weekend reminders follow the stream: village teams are reminded on a Saturday last day, officers on the Friday
before; the lead office switches the villages' weekends off with /lich and their reminder moves to Friday too."""

from __future__ import annotations

from collections import defaultdict

from reminders.sweep import run_sweep
from storage.db import Database
from tests.first_month_support import Tg, at
from tests.seed import add_person, make_org
from tests.zalo_harness import ZaloHarness, add_zalo_identity

LEAD, OFFICER_TG, MEMBER_TG = 9402, 9401, 9403  # Telegram
OFFICER_ZL, MEMBER_ZL = "7e1b2c3d4e5f60718201", "7e1b2c3d4e5f60718202"  # Zalo


async def _people(db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["vhxh"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=OFFICER_TG)
    await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=MEMBER_TG)
    await add_zalo_identity(db, await add_person(db, org["hcc"], "Vi Văn Tú", "officer"), OFFICER_ZL)
    await add_zalo_identity(db, await add_person(db, org["khuoi"], "Đinh Thị Ba", "member"), MEMBER_ZL)


async def _sweep(both: ZaloHarness, when: str) -> dict[int | str, list[str]]:
    """The sweep at ``when`` (the bot's clock too), its outbox drained: what each chat received on either platform."""
    assert both.bot is not None and both.bot.outbox is not None and both.tg_fake is not None
    both.now = at(when)
    await run_sweep(both.bot, both.now)
    while await both.bot.outbox.run_once():
        pass
    got: dict[int | str, list[str]] = defaultdict(list)
    for m in both.take_sent():
        got[m["chat_id"]].append(m["text"])
    for t in both.tg_fake.take_sent():
        got[int(t.chat_id)].append(t.text)
    return dict(got)


def _first_lines(got: dict[int | str, list[str]], *chats: int | str) -> set[str]:
    out = set()
    for chat in chats:
        (text,) = got[chat]  # one reminder each
        out.add(text.splitlines()[0])
    return out


VILLAGE = "nhật ký hoạt động của Tổ công nghệ số cộng đồng"
UNIT = "báo cáo của đơn vị (/baocao)"


async def test_weekend_last_day_follows_the_stream(both: ZaloHarness, db: Database) -> None:
    await _people(db)
    tg = Tg(both)
    # December 2026: due before 20/12, so the last allowed day is Saturday 19/12; nobody has reported.
    fri = await _sweep(both, "2026-12-18T08:00+07:00")
    assert _first_lines(fri, MEMBER_TG, MEMBER_ZL) == {  # the village stream reminds at weekends: Saturday is theirs
        f"Nhắc việc: {VILLAGE} tháng 12/2026, hạn nộp trước ngày 20/12/2026 — ngày mai là ngày cuối cùng."}
    assert _first_lines(fri, OFFICER_TG, OFFICER_ZL) == {  # officers: not at weekends, Friday is their last day
        f"Nhắc việc: {UNIT} tháng 12/2026, hạn nộp trước ngày 20/12/2026 — hôm nay là ngày làm việc cuối cùng trước hạn."}
    sat = await _sweep(both, "2026-12-19T08:00+07:00")
    assert set(sat) == {MEMBER_TG, MEMBER_ZL}  # the officers and the lead office hear nothing on Saturday
    assert _first_lines(sat, MEMBER_TG, MEMBER_ZL) == {
        f"Hôm nay là ngày cuối cùng để nộp {VILLAGE} tháng 12/2026 (trước ngày 20/12/2026)."}
    assert await _sweep(both, "2026-12-19T16:00+07:00") == {}  # each stage once

    # The lead office switches the villages' weekend reminders off in chat.
    both.now = at("2026-12-19T10:00+07:00")
    rule = ("   Tổ công nghệ số cộng đồng các thôn → Phòng Văn hóa - Xã hội: nhật ký hoạt động, trước ngày 20 hằng tháng.\n"
            "   số liệu từ ngày 15 tháng trước đến ngày 14 tháng báo cáo (Nghị định 09/2019); đang bật nhắc hạn; ")
    text = (await tg.say(LEAD, "/lich"))[0].text
    assert rule + "nhắc cả thứ Bảy, Chủ nhật\n" in text, text  # what the villages were told, and got
    await tg.tap(LEAD, "village_monthly")
    text = (await tg.tap(LEAD, "weekend"))[0].text
    assert "không nhắc vào thứ Bảy, Chủ nhật" in text, text
    await tg.tap(LEAD, "save")
    await tg.tap(LEAD, "save")
    text = (await tg.say(LEAD, "/lich"))[0].text
    assert rule + "không nhắc vào thứ Bảy, Chủ nhật\n" in text, text
    await tg.tap(LEAD, "close")

    # June 2027: due before 20/06, the last allowed day is Saturday 19/06 again. Now the villages' last reminder
    # comes on Friday, worded as the officers' is, and Saturday is quiet for everyone.
    fri = await _sweep(both, "2027-06-18T08:00+07:00")
    assert _first_lines(fri, MEMBER_TG, MEMBER_ZL) == {
        f"Nhắc việc: {VILLAGE} tháng 6/2027, hạn nộp trước ngày 20/06/2027 — hôm nay là ngày làm việc cuối cùng trước hạn."}
    assert _first_lines(fri, OFFICER_TG, OFFICER_ZL) == {
        f"Nhắc việc: {UNIT} tháng 6/2027, hạn nộp trước ngày 20/06/2027 — hôm nay là ngày làm việc cuối cùng trước hạn."}
    assert await _sweep(both, "2027-06-19T08:00+07:00") == {}
