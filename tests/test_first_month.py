"""First month of a commune, end to end on one bot with Telegram and Zalo: org list and plan through the
CLI → invites → listed people join on both channels → village logs → an officer's report with every answer
kind and a photo → returned with a comment → resubmitted → reminders → the lead's digest → exports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from reminders.sweep import preview, run_sweep
from storage.db import Database
from storage.models import (
    ActivityLog,
    Attachment,
    Identity,
    Indicator,
    Person,
    ReminderLog,
    Report,
    ReportItem,
)
from tests.first_month_support import (
    COMMUNE,
    HCC,
    KHUOI,
    NAPAI,
    ORG_CSV,
    PLAN,
    VHXH,
    VP,
    Tg,
    at,
    cli,
    docx_text,
    sheet,
    status_json,
    summary_counts,
)
from tests.zalo_harness import ZaloHarness, vi

LEAD, OFFICER, HUNG = 6201, 6202, 6203  # Telegram users
BICH, TUNG = "7a1b2c3d4e5f60718293", "7b1b2c3d4e5f60718293"  # Zalo users
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF buoi so hoa ho so" * 20
RESULT = "Đã thí điểm trợ lý ảo tại bộ phận một cửa, 120 lượt hỏi đáp"
COMMENT = "bổ sung ảnh minh chứng chỉ tiêu 2"


@dataclass
class Run:
    """The bot on both channels, the database and the CLI context of one scenario run."""

    both: ZaloHarness
    tg: Tg
    db: Database
    db_url: str
    monkeypatch: pytest.MonkeyPatch
    capsys: Any

    async def status(self) -> dict[str, Any]:
        return await status_json(self.both, self.monkeypatch, self.capsys, self.db_url)




async def _setup(monkeypatch: pytest.MonkeyPatch, capsys: Any, db_url: str, tmp_path: Path) -> dict[str, str]:
    """The lead office imports its org list and plan with the CLI, sets the reporting start, makes invites."""
    (tmp_path / "org.csv").write_text(ORG_CSV, encoding="utf-8")
    out = await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "org.csv"), "--commune", COMMUNE)
    assert "6 new people" in out
    await cli(monkeypatch, capsys, db_url, "plan", "import", str(PLAN), "--commune", COMMUNE, "--year", "2026")
    await cli(monkeypatch, capsys, db_url, "commune", "set-start", "--commune", COMMUNE, "2026-12-01")
    codes = {}
    for key, unit, role in (("napai", NAPAI, "member"), ("khuoi", KHUOI, "member"), ("hcc", HCC, "officer"),
                            ("lead", VHXH, "lead")):
        out = await cli(monkeypatch, capsys, db_url, "invite", "create", "--unit", unit, "--role", role,
                        "--uses", "5", "--days", "60", "--json")
        codes[key] = json.loads(out)["code"]
    return codes


async def _join(both: ZaloHarness, tg: Tg, db: Database, codes: dict[str, str]) -> dict[str, Person]:
    """Listed people join as themselves: Zalo members typing names without diacritics, the officer by
    Telegram deep link, the lead and a member by typed code; nobody gets a second record."""
    async with db.session() as s:
        listed = {p.name: p for p in (await s.exec(select(Person))).all()}
    for user, name, typed, code in ((BICH, "Lò Thị Bích", "Lo Thi Bich", codes["napai"]),
                                    (TUNG, "Hà Văn Tùng", "ha van tung", codes["khuoi"])):
        await both.say(user, code)
        sent = await both.say(user, typed)
        assert vi("{unit}'s list has someone with this name. Are you {name}, {unit}?",
                  unit=NAPAI if user == BICH else KHUOI, name=name) in sent[0]["text"]
        sent = await both.say(user, "1")
        assert vi("I agree") in sent[0]["text"]
        sent = await both.say(user, "1", expect=2)
        assert vi("Welcome, {name}! You are now registered with {unit}.", name=name,
                  unit=NAPAI if user == BICH else KHUOI) in sent[0]["text"]

    sent = await tg.say(OFFICER, f"/start {codes['hcc']}", first_name="Nguyễn Thị Hoa")
    await tg.tap(OFFICER, "__display__")
    sent = await tg.tap(OFFICER, str(listed["Nguyễn Thị Hoa"].id))
    assert sent[0].callback_data == ["yes", "no"]
    sent = await tg.tap(OFFICER, "yes", expect=2)
    assert vi("Welcome, {name}! You are now registered with {unit}.", name="Nguyễn Thị Hoa", unit=HCC) in sent[0].text
    for user, code, typed, name in ((LEAD, codes["lead"], "hoang van thai", "Hoàng Văn Thái"),
                                    (HUNG, codes["napai"], "Đinh Văn Hùng", "Đinh Văn Hùng")):
        await tg.say(user, code)
        sent = await tg.say(user, typed)
        assert name in sent[0].text
        await tg.say(user, "1")
        sent = await tg.tap(user, "yes", expect=2)
        assert name in sent[0].text

    async with db.session() as s:
        people = {p.name: p for p in (await s.exec(select(Person))).all()}
        idents = {(i.channel, i.person_id) for i in (await s.exec(select(Identity))).all()}
    assert {n: (p.id, p.unit_id, p.role, p.phone) for n, p in people.items()} == {
        n: (p.id, p.unit_id, p.role, p.phone) for n, p in listed.items()}  # the six listed, nobody twice
    assert idents == {("zalo", people["Lò Thị Bích"].id), ("zalo", people["Hà Văn Tùng"].id),
                      ("telegram", people["Nguyễn Thị Hoa"].id), ("telegram", people["Hoàng Văn Thái"].id),
                      ("telegram", people["Đinh Văn Hùng"].id)}
    assert all(p.consent_at is not None for n, p in people.items() if n != "Vi Văn Tú")
    return people


async def _logs(both: ZaloHarness, tg: Tg, db: Database) -> None:
    """Nà Pài's two members log in free Vietnamese (digits on Zalo, number words on Telegram) and confirm."""
    sent = await both.say(BICH, "hôm nay hỗ trợ 12 người kích hoạt VNeID, 3 hồ sơ DVC")
    assert "12" in sent[0]["text"] and "VNeID" in sent[0]["text"]
    sent = await both.say(BICH, "1")
    assert "Đã lưu" in sent[0]["text"]
    sent = await tg.say(HUNG, "hỗ trợ năm người kích hoạt VNeID và hai hồ sơ dịch vụ công trực tuyến")
    assert ": 5" in sent[0].text and ": 2" in sent[0].text
    sent = await tg.tap(HUNG, "ok")
    assert "Đã lưu" in sent[0].text
    async with db.session() as s:
        totals = (await s.exec(select(ActivityLog.activity, func.sum(ActivityLog.count))
                               .group_by(ActivityLog.activity))).all()
    assert dict(totals) == {"vneid": 17, "dvc": 5}


async def _report(tg: Tg, *, photo: bool) -> list[Any]:
    """The service centre's officer answers /baocao: a task status (a photo at it), 85,5 in words, a choice,
    a status with a short text, difficulties; returns the bot's last reply."""
    sent = await tg.say(OFFICER, "/baocao", expect=3 if not photo else 2)
    assert "(1/4)" in sent[-1].text and vi("Task {code}", code="1") in sent[-1].text
    if photo:
        tg.fake.add_file("photo-so-hoa", PHOTO)
        sent = await tg.push(tg.fake.photo(OFFICER, "photo-so-hoa"))
        assert sent[0].text.startswith(vi("Photo received; it is attached to {where}.",
                                          where=vi("Task {code}", code="1")))
    await tg.tap(OFFICER, "in_progress")
    sent = await tg.say(OFFICER, "tám mươi lăm phẩy năm")
    assert "(3/4)" in sent[0].text and sent[0].callback_data[:2] == ["yes", "no"]
    sent = await tg.tap(OFFICER, "yes")
    assert "(4/4)" in sent[0].text and "nhập số" not in sent[0].text
    await tg.tap(OFFICER, "in_progress")
    await tg.say(OFFICER, RESULT)
    await tg.say(OFFICER, "Thiếu máy quét tài liệu")
    sent = await tg.tap(OFFICER, "none")
    assert "85,5%" in sent[0].text
    return await tg.tap(OFFICER, "send")


async def _review_and_return(tg: Tg) -> str:
    """The lead reads the report in /duyet and returns it with a comment; the review text."""
    sent = await tg.say(LEAD, "/duyet")
    sent = await tg.tap(LEAD, sent[0].callback_data[0])
    review = sent[0].text
    await tg.tap(LEAD, "return")
    sent = await tg.say(LEAD, COMMENT)
    assert sent[0].text == vi("Report returned; the unit has been told.")
    return review


async def _planned(both: ZaloHarness, when: str) -> list[Any]:
    assert both.bot is not None
    async with both.bot.db.session() as s:
        return await preview(s, both.bot.services, at(when))


def _owing(planned: list[Any]) -> set[tuple[str, str | None, str | None, str]]:
    """(stream, unit, person, kind) of the village and unit report reminders planned."""
    return {(p.stream, p.unit, p.person, "returned" if p.stage.startswith("returned") else "due")
            for p in planned if p.stream in ("village_monthly", "unit_monthly") and p.stage != "digest"}


async def _review(r: Run) -> None:
    """The officer reports on 10/12 with a photo at task 1; the lead reads it in /duyet (codes, titles, values against
    targets, evidence) and returns it with a comment."""
    tg, db = r.tg, r.db
    sent = await _report(tg, photo=True)
    assert sent[0].text == vi("Report for {period} sent on time. Thank you!", period="tháng 12/2026")
    review = await _review_and_return(tg)
    for part in ("Nhiệm vụ 1. Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính còn hiệu lực",
                 vi("Status: {s}", s=vi("In progress")),
                 "Chỉ tiêu 1. Tỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến",
                 vi("Result: {value} — target {target}{unit}", value="85,5%", target="≥80%", unit=""),
                 "Chỉ tiêu 2. Bộ phận một cửa hoạt động trên môi trường số",
                 vi("Result: {value} — target {target}{unit}", value=vi("Achieved"), target="Đạt", unit=""),
                 "Chỉ tiêu 3. Ứng dụng trợ lý ảo", RESULT, "Thiếu máy quét tài liệu",
                 vi("Evidence: {n} file(s)", n=1)):
        assert part in review, (part, review)
    shown = [line.strip() for line in review.splitlines()]
    assert vi("Result: {value} — target {target}{unit}", value="85,5%", target="≥80%", unit="") in shown  # not "(%)"
    async with db.session() as s:
        report = (await s.exec(select(Report))).one()
        photos = (await s.exec(select(Attachment.kind, Attachment.item_kind, Attachment.size))).all()
    assert (report.status, report.review_comment, report.revision) == ("returned", COMMENT, 1)
    assert photos == [("photo", "task", len(PHOTO))]


async def _returned_everywhere(r: Run) -> None:
    """Returned, not reported, in /tinhtrang, the status JSON, the xlsx; the officer is reminded to resubmit."""
    both, tg = r.both, r.tg
    sent = await tg.say(LEAD, "/tinhtrang")
    assert vi("{what}: {done}/{expected} reported — {on_time} on time, {late} late, {returned} returned, "
              "{missing} not reported", what=vi("Unit reports"), done=0, expected=3, on_time=0, late=0,
              returned=1, missing=2) in sent[0].text
    st = await r.status()
    assert (st["expected"], st["submitted"], st["returned"]) == (3, 0, [HCC])
    assert sorted(st["missing"]) == sorted([VP, VHXH])
    xlsx, _docx, _mark = await tg.say(LEAD, "/xuat", expect=3)
    assert {row[3] for row in sheet(xlsx.document_bytes, "Báo cáo đơn vị") if row[0] == HCC} == {"Trả lại, chờ gửi lại"}
    assert summary_counts(xlsx.document_bytes)["Báo cáo của các cơ quan, đơn vị"]["Trả lại, chờ gửi lại"] == 1
    owed = {row[1]: row[5] for row in sheet(xlsx.document_bytes, "Chưa báo cáo")}
    assert owed == {HCC: f"Trả lại: {COMMENT}", VP: "Chưa báo cáo", VHXH: "Chưa báo cáo", KHUOI: "Chưa báo cáo"}
    returned = [p for p in await _planned(both, "2026-12-11T08:00+07:00") if p.stage.startswith("returned")]
    assert [(p.person, p.unit, p.channel, p.comment) for p in returned] == [
        ("Nguyễn Thị Hoa", HCC, "telegram", COMMENT)]


async def _resubmit(r: Run) -> None:
    """The officer resubmits on 15/12: counted as submitted, on time, second revision; the lead accepts it."""
    both, tg, db = r.both, r.tg, r.db
    both.now = at("2026-12-15T09:00+07:00")
    sent = await _report(tg, photo=False)
    assert sent[0].text == vi("Your corrected report for {period} replaces the earlier one (revision {r}); "
                              "it is on time. Thank you.", period="tháng 12/2026", r=2)
    st = await r.status()
    assert (st["submitted"], st["on_time"], st["late"], st["returned"]) == (1, 1, 0, [])
    async with db.session() as s:
        report = (await s.exec(select(Report))).one()
        items = (await s.exec(select(ReportItem.kind, ReportItem.status, ReportItem.value_num,
                                     ReportItem.value_bool, ReportItem.note)
                              .where(ReportItem.report_id == report.id).order_by(ReportItem.id))).all()
    assert (report.status, report.late, report.revision) == ("submitted", False, 2)
    assert sorted(items, key=str) == sorted([("task", "in_progress", None, None, None),
                                             ("indicator", None, Decimal("85.5"), None, None),
                                             ("indicator", None, None, True, None),
                                             ("indicator", "in_progress", None, None, RESULT)], key=str)
    sent = await tg.say(LEAD, "/duyet")  # the lead reads the second revision and accepts it
    sent = await tg.tap(LEAD, sent[0].callback_data[0])
    assert "85,5%" in sent[0].text and vi("Evidence: {n} file(s)", n=1) in sent[0].text  # the photo stays
    sent = await tg.tap(LEAD, "accept")
    assert sent[0].text == vi("Report accepted; the unit has been told.")
    async with db.session() as s:
        assert (await s.exec(select(Report.status))).one() == "accepted"
    assert (await r.status())["on_time"] == 1


async def _deadline_eve(r: Run) -> None:
    """The lead files his own office's report on 16/12; on the eve of the deadline (Friday 18/12) only the village that
    never logged and the office whose officer never joined are reminded."""
    both, tg = r.both, r.tg
    both.now = at("2026-12-16T09:00+07:00")
    sent = await tg.say(LEAD, "/baocao", expect=2)
    assert "(1/1)" in sent[1].text and "Tuyên truyền về chuyển đổi số" in sent[1].text
    await tg.tap(LEAD, "in_progress")
    await tg.tap(LEAD, "none")
    await tg.tap(LEAD, "none")
    sent = await tg.tap(LEAD, "send")
    assert sent[0].text == vi("Report for {period} sent on time. Thank you!", period="tháng 12/2026")
    eve = await _planned(both, "2026-12-18T08:00+07:00")
    assert _owing(eve) == {("village_monthly", KHUOI, "Hà Văn Tùng", "due"),
                           ("unit_monthly", VP, "Vi Văn Tú", "due")}
    assert not [p for p in eve if p.stage == "digest"]


async def _digest(r: Run, lead_id: int) -> None:
    """After the deadline (Monday 21/12) the sweep sends the lead one digest per stream naming exactly who is missing;
    the member who owes is reminded on Zalo."""
    both, tg, db = r.both, r.tg, r.db
    both.now = at("2026-12-21T08:00+07:00")
    digests = {p.stream: (p.person, p.channel, p.missing, p.late, p.returned, p.unreachable)
               for p in await _planned(both, "2026-12-21T08:00+07:00") if p.stage == "digest"}
    assert {k: v for k, v in digests.items() if k in ("village_monthly", "unit_monthly")} == {
        "village_monthly": ("Hoàng Văn Thái", "telegram", (KHUOI,), (), (), ()),
        "unit_monthly": ("Hoàng Văn Thái", "telegram", (VP,), (), (), ("Vi Văn Tú",))}  # Tú never joined
    assert both.bot is not None and both.bot.outbox is not None
    assert await run_sweep(both.bot, both.now) >= 3 and await run_sweep(both.bot, both.now) == 0
    async with db.session() as s:
        claimed = (await s.exec(select(ReminderLog.stream, ReminderLog.person_id)
                                .where(ReminderLog.stage == "digest"))).all()
    assert sorted(d for d in claimed if d[0] in ("village_monthly", "unit_monthly")) == [
        ("unit_monthly", lead_id), ("village_monthly", lead_id)]
    while await both.bot.outbox.run_once():
        pass
    on_telegram = tg.fake.take_sent()
    to_lead = [m.text for m in on_telegram if int(m.chat_id) == LEAD]
    to_officer = "\n".join(m.text for m in on_telegram if int(m.chat_id) == OFFICER)
    assert COMMENT in to_officer and vi("The lead office accepted your report for {period}. Thank you!",
                                        period="tháng 12/2026") in to_officer  # the unit was told, both times
    on_zalo = both.take_sent()
    assert [m["chat_id"] for m in on_zalo] == [TUNG] and "tháng 12/2026" in on_zalo[0]["text"]  # Nà Pài logged
    village_digest = next(t for t in to_lead if KHUOI in t)
    unit_digest = next(t for t in to_lead if VP in t)
    for text in (village_digest, unit_digest):
        assert NAPAI not in text and HCC not in text and VHXH not in text and "Hoàng Văn Thái" not in text


async def _export(r: Run) -> None:
    """The lead exports December: the compiled figures of the xlsx and the docx."""
    tg = r.tg
    xlsx, docx, _mark = await tg.say(LEAD, "/xuat tháng 12", expect=3)
    wb = xlsx.document_bytes
    counts = summary_counts(wb)
    unit_row, village_row = (counts["Báo cáo của các cơ quan, đơn vị"],
                             counts["Số liệu hoạt động của Tổ công nghệ số cộng đồng các thôn"])
    assert [unit_row[k] for k in ("Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Trễ hạn", "Chưa báo cáo",
                                  "Trả lại, chờ gửi lại")] == [3, 2, 2, 0, 1, 0]
    assert [village_row[k] for k in ("Phải báo cáo", "Đã báo cáo", "Chưa báo cáo")] == [2, 1, 1]
    activity = {(row[0], row[2]): row[3] for row in sheet(wb, "Hoạt động thôn")}
    assert activity == {(NAPAI, "vneid"): 17, (NAPAI, "dvc"): 5}
    lines = {(row[5], row[6]): row for row in sheet(wb, "Báo cáo đơn vị") if row[0] == HCC}
    assert {(row[3], row[4]) for row in lines.values()} == {("Đúng hạn", 2)}  # on time, second revision
    assert (lines["Nhiệm vụ", "1"][8], lines["Nhiệm vụ", "1"][16]) == ("Đang thực hiện", 1)  # with its photo
    assert (lines["Chỉ tiêu", "1"][8], lines["Chỉ tiêu", "1"][9]) == ("85,5%", 85.5)
    assert lines["Chỉ tiêu", "2"][8] == "Đạt" and lines["Nhiệm vụ", "1"][14] == "Thiếu máy quét tài liệu"
    assert (lines["Chỉ tiêu", "3"][8], lines["Chỉ tiêu", "3"][13]) == ("Đang thực hiện", RESULT)
    indicators = {row[1]: (row[6], row[7]) for row in sheet(wb, "Chỉ tiêu")}
    assert indicators["1"] == (85.5, "85,5%") and indicators["2"] == (None, "Đạt")
    assert indicators["3"] == (None, f"Đang thực hiện: {RESULT}") and indicators["4"][0] is None
    assert {row[1] for row in sheet(wb, "Chưa báo cáo")} == {VP, KHUOI}
    lines = docx_text(docx.document_bytes).splitlines()
    for line in ("Tổng số 2 nhiệm vụ: 0 hoàn thành, 2 đang thực hiện, 0 chậm, vướng mắc, 0 chưa triển khai, "
                 "0 chưa có báo cáo; 0 nhiệm vụ quá hạn.",
                 "Tổng số 4 chỉ tiêu: 2 đạt, đúng tiến độ; 1 có nguy cơ chậm; 0 chậm tiến độ; 1 chưa có số liệu.",
                 f"- Báo cáo của các cơ quan, đơn vị: 2/3 đơn vị đã gửi (2 đúng hạn, 0 trễ hạn); chưa báo cáo: {VP}.",
                 "- Số liệu hoạt động của Tổ công nghệ số cộng đồng các thôn: 1/2 thôn đã cập nhật (1 đúng hạn, "
                 f"0 trễ hạn); chưa báo cáo: {KHUOI}.",
                 f"- {NAPAI}: Kích hoạt định danh điện tử (VNeID) 17; Hồ sơ dịch vụ công trực tuyến 5.",
                 "+ Chỉ tiêu 1. Tỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến: 85,5% (chỉ tiêu: ≥80%); "
                 "đạt, đúng tiến độ.",
                 "+ Chỉ tiêu 2. Bộ phận một cửa hoạt động trên môi trường số: Đạt (chỉ tiêu: Đạt); đạt, đúng tiến độ."):
        assert line in lines, line
    assert any(line.startswith(f"+ Chỉ tiêu 3. Ứng dụng trợ lý ảo hướng dẫn thủ tục hành chính cho người dân: "
                               f"Đang thực hiện: {RESULT} (chỉ tiêu: ") for line in lines)


async def test_first_month_of_a_commune(both: ZaloHarness, db: Database, db_url: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    r = Run(both, Tg(both), db, db_url, monkeypatch, capsys)
    codes = await _setup(monkeypatch, capsys, db_url, tmp_path)
    async with db.session() as s:
        kinds = {i.code: i.answer_kind for i in (await s.exec(select(Indicator))).all()}
    assert kinds == {"1": "number", "2": "choice", "3": "status", "4": "number"}
    people = await _join(both, r.tg, db, codes)
    await _logs(both, r.tg, db)
    zalo_said = [m["text"] for m in both.fake.sent_messages]
    assert zalo_said and not [t for t in zalo_said if "bấm" in t.lower()]  # Zalo has no buttons to press
    await _review(r)
    await _returned_everywhere(r)
    await _resubmit(r)
    await _deadline_eve(r)
    await _digest(r, people["Hoàng Văn Thái"].id)  # type: ignore[arg-type]
    await _export(r)
