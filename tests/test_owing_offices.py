"""Which offices owe a monthly unit report: once a plan names who chairs what, those owing a plan item; neither the
lead alone (the lead office reports through its own streams) nor officers alone make an office owe one (a unit
report answers the plan's items: an office chairing none has nothing to report, as seed 001's partners). Before any
plan item exists, every staffed office owes one."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli_import import cli

ORG = ("Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò\n"
       "Văn phòng HĐND và UBND,office,,Trần Thị Lan,0912345678,lead\n"
       "Phòng Văn hóa - Xã hội,office,,Lê Văn Hòa,0912345679,officer\n"
       "Trạm Y tế xã,office,,Hà Thị Nga,0912345671,officer\n"
       "Thôn Nà Pài,village,,Lò Văn Minh,0987654321,member\n")
PLAN = ("KẾ HOẠCH\nChuyển đổi số xã Hòa An năm 2026\n\n"
        "TT\tNhiệm vụ\tCơ quan chủ trì\tThời gian thực hiện\n"
        "1\tSố hóa hồ sơ lưu trữ\tPhòng Văn hóa - Xã hội\tQuý IV năm 2026\n")


async def test_only_the_offices_chairing_an_item_owe_a_unit_report(
        monkeypatch, capsys, db_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    (tmp_path / "org.csv").write_text(ORG, encoding="utf-8")
    (tmp_path / "kh.txt").write_text(PLAN, encoding="utf-8")
    for args in (("org", "import", str(tmp_path / "org.csv")), ("plan", "import", str(tmp_path / "kh.txt"))):
        code, _, err = await cli(monkeypatch, capsys, db_url, *args, "--commune", "Hòa An")
        assert code == 0, err
    # After the 20 December deadline, before anyone reported: who does the lead office read as missing?
    code, out, err = await cli(monkeypatch, capsys, db_url, "status", "--commune", "Hòa An", "--period", "2026-12",
                               "--at", "2026-12-21T09:00:00+07:00", "--json")
    assert code == 0, err
    unit = next(s for s in json.loads(out)["streams"] if s["name"] == "unit_monthly")
    # The chairing office owes it; neither the lead's own office nor the staffed health station (chairing nothing).
    assert sorted(unit["missing"]) == ["Phòng Văn hóa - Xã hội"]
    assert unit["expected"] == 1


ORG_NO_PLAN = ("Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò\n"
               "Văn phòng HĐND và UBND,office,,Nông Thị Mai,0912345600,lead\n"
               "Công an xã,office,,Vi Văn Hải,0912345601,officer\n"
               "Phòng Kinh tế,office,,,,\n"
               "Thôn Bản Chang,village,,Hoàng Văn Tú,0987654300,member\n")


async def test_a_sweep_over_several_communes_asks_each_its_own_offices(
        monkeypatch, capsys, db_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    """The sweep reads every commune's expected units together: one commune's plan (its chairs) must not
    change who owes in another (before any plan item, every staffed office owes, the lead's included)."""
    (tmp_path / "org.csv").write_text(ORG, encoding="utf-8")
    (tmp_path / "org2.csv").write_text(ORG_NO_PLAN, encoding="utf-8")
    (tmp_path / "kh.txt").write_text(PLAN, encoding="utf-8")
    for args in (("org", "import", str(tmp_path / "org.csv"), "--commune", "Hòa An"),
                 ("plan", "import", str(tmp_path / "kh.txt"), "--commune", "Hòa An"),
                 ("org", "import", str(tmp_path / "org2.csv"), "--commune", "Tân Lập")):
        code, _, err = await cli(monkeypatch, capsys, db_url, *args)
        assert code == 0, err
    owed: dict[str, set[tuple[str, str]]] = {}
    for commune in (None, "Hòa An", "Tân Lập"):  # the whole sweep, then each commune alone
        code, out, err = await cli(monkeypatch, capsys, db_url, "reminders", "preview",
                                   "--at", "2026-12-17T09:00:00+07:00", "--json",
                                   *(("--commune", commune) if commune else ()))
        assert code == 0, err
        owed[commune or "all"] = {(p["person"], p["unit"]) for p in json.loads(out) if p["stream"] == "unit_monthly"}
    assert owed["Hòa An"] == {("Lê Văn Hòa", "Phòng Văn hóa - Xã hội")}
    assert owed["Tân Lập"] == {("Vi Văn Hải", "Công an xã"), ("Nông Thị Mai", "Văn phòng HĐND và UBND")}
    assert owed["all"] == owed["Hòa An"] | owed["Tân Lập"]
