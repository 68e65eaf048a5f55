"""A plan whose targets are prose bullets, end to end on fake Telegram: imported with the CLI, one target
given to a unit with /giao, reported by that unit's officer, read by the lead office in /chitieu with
its short target and partner units."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from locales.i18n import _, use_locale
from storage.db import Database
from storage.models import Indicator, IndicatorUnit, Unit
from tests.first_month_support import cli
from tests.harness import TelegramHarness
from tests.seed import add_person

LEAD, POLICE, ECON = 9101, 9102, 9103
COMMUNE = "Hòa An"
ORG = ("Đơn vị,Loại\n"
       "Văn phòng HĐND và UBND,office\nCông an xã,office\nPhòng Kinh tế,office\nPhòng Văn hóa - Xã hội,office\n"
       "Thôn Nà Pài,village\n")
PLAN = """ỦY BAN NHÂN DÂN XÃ HÒA AN
Số: 21/KH-UBND
KẾ HOẠCH
Chuyển đổi số xã Hòa An năm 2026

I. MỤC TIÊU
1. Mục tiêu chung
- Xây dựng chính quyền số, kinh tế số, xã hội số trên địa bàn xã.
2. Mục tiêu cụ thể
- Phấn đấu đến hết năm 2026, 80% người dân trưởng thành có tài khoản định danh điện tử (Cơ quan chủ trì: Công an xã; cơ quan phối hợp: Phòng Kinh tế, Phòng Văn hóa - Xã hội).
- Trên 90% hộ gia đình có kết nối Internet cáp quang.
- Đến năm 2030, có ít nhất 5 sáng kiến chuyển đổi số được công nhận.

II. NHIỆM VỤ VÀ GIẢI PHÁP
- Tuyên truyền về chuyển đổi số.
"""


def vi(msg: str, **kw: object) -> str:
    with use_locale("vi"):
        return _(msg, **kw)


async def _setup(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str, db: Database,
                 tmp_path: Path) -> dict[str, int]:
    (tmp_path / "org.csv").write_text(ORG, encoding="utf-8")
    (tmp_path / "muc-tieu.txt").write_text(PLAN, encoding="utf-8")
    await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "org.csv"), "--commune", COMMUNE)
    out = await cli(monkeypatch, capsys, db_url, "plan", "import", str(tmp_path / "muc-tieu.txt"),
                    "--commune", COMMUNE, "--json")
    res = json.loads(out)
    assert (res["tasks"], res["indicators"]) == (0, 3)
    assert any("skipped: 'Xây dựng chính quyền số" in w for w in res["warnings"])
    assert "1 target(s) name no year ('đến năm …'): due by the end of 2026: MT2" in res["warnings"]
    async with db.session() as s:
        units = {u.name: u.id for u in (await s.exec(select(Unit))).all()}
    await add_person(db, units["Văn phòng HĐND và UBND"], "Trần Thị Lan", "lead", telegram_id=LEAD)
    await add_person(db, units["Công an xã"], "Hoàng Văn Nam", "officer", telegram_id=POLICE)
    await add_person(db, units["Phòng Kinh tế"], "Lò Văn Minh", "officer", telegram_id=ECON)
    return units


async def _owners(db: Database, code: str) -> list[str]:
    async with db.session() as s:
        return list((await s.exec(select(Unit.name).join(IndicatorUnit).join(Indicator)
                                  .where(Indicator.code == code).order_by(IndicatorUnit.position))).all())


async def test_prose_plan_reported_and_read(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                            db_url: str, db: Database, tg: TelegramHarness, tmp_path: Path) -> None:
    await _setup(monkeypatch, capsys, db_url, db, tmp_path)
    assert await _owners(db, "MT1") == ["Công an xã"]
    assert await _owners(db, "MT2") == ["Văn phòng theo dõi (chưa giao đơn vị)"]  # nobody named: the lead office

    # The lead office gives MT2 to the economy office, typed loosely; an officer may not.
    sent = await tg.say(POLICE, "/giao MT2 Phòng Kinh tế")
    assert sent[0].text == vi("Sorry, that command is not available for your role. Type /trogiup to see yours.")
    sent = await tg.say(LEAD, "/giao mt2 phong kinh te")
    assert sent[0].text == vi("Done: indicator {code} is now reported by {unit}. Its officers will be asked for it "
                              "in their report.", code="MT2", unit="Phòng Kinh tế")
    assert await _owners(db, "MT2") == ["Phòng Kinh tế"]
    # "Phòng" alone names several offices: the lead picks one.
    sent = await tg.say(LEAD, "/giao MT3 Phòng")
    assert sent[0].text == vi("More than one unit matches \"{name}\". Which one?", name="Phòng")
    assert "Phòng Văn hóa - Xã hội" in [b for row in sent[0].buttons for b in row]
    sent = await tg.tap(LEAD, "Phòng Văn hóa - Xã hội")
    assert "MT3" in sent[0].text and await _owners(db, "MT3") == ["Phòng Văn hóa - Xã hội"]
    for typed, reply in (("/giao", "Type /giao CODE UNIT"), ("/giao XX9 Công an xã", "no task or indicator"),
                         ("/giao MT1 Phòng Tài chính", "no unit called")):
        sent = await tg.say(LEAD, typed)
        assert sent[0].text == vi({
            "Type /giao CODE UNIT": "Type /giao CODE UNIT, for example: /giao N4.KQ1 Công an xã. The codes are "
                                    "shown in /chitieu and in the plan.",
            "no task or indicator": "There is no task or indicator with the code {code} in the commune's "
                                    "plans. Please check the code in /chitieu or in the plan.",
            "no unit called": "I found no unit called \"{name}\" in the commune's org list. Please check the "
                              "name; a new unit is added with the org list (cdsbot org import).",
        }[reply], code="XX9", name="Phòng Tài chính")

    # The police officer reports MT1, the only item of the unit.
    sent = await tg.say(POLICE, "/baocao", expect=2)
    assert "80%" in sent[-1].text
    await tg.say(POLICE, "62")
    await tg.tap(POLICE, "none")
    await tg.tap(POLICE, "none")
    sent = await tg.tap(POLICE, "send")
    assert sent[0].text == vi("Report for {period} sent on time. Thank you!", period="tháng 12/2026")

    # The lead reads /chitieu: short targets, who reports and who works with them.
    sent = await tg.say(LEAD, "/chitieu")
    text = sent[0].text
    assert "MT1. Phấn đấu đến hết năm 2026, 80% người dân" in text
    assert "62% / 80%" + vi(", due {date}", date="31/12/2026") + " (" in text  # its due date shown
    assert vi("Reports: {owners} · with: {partners}", owners="Công an xã",
              partners="Phòng Kinh tế, Phòng Văn hóa - Xã hội") in text
    assert "> 90%" in text and "≥ 5 sáng kiến" + vi(", due {date}", date="31/12/2030") + " (" in text
    assert vi("Reports: {owners}", owners="Phòng Kinh tế") in [line.strip() for line in text.splitlines()]

    # The CLI shows the same item with its partners and due date.
    out = await cli(monkeypatch, capsys, db_url, "plan", "show", "--commune", COMMUNE, "--json")
    mt1 = json.loads(out)["plans"][0]["indicators"][0]
    assert mt1["partner_units"] == ["Phòng Kinh tế", "Phòng Văn hóa - Xã hội"]
    assert mt1["due"] == {"text": "đến hết năm 2026", "date": "2026-12-31"}
