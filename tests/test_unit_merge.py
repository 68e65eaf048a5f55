"""`cdsbot unit merge`: a plan named a village without diacritics, so it became a second unit; the
operator merges it into the org tree's village and the village is asked the plan's task."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from handlers.report_items import load_items
from storage.db import Database
from storage.models import AuditLog, Unit
from tests.test_cli_import import cli

ORG = ("Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò\n"
       "Phòng Văn hóa - Xã hội,office,,Trần Thị Lan,0912345678,lead\n"
       "Thôn Nà Pài,village,,Lò Văn Minh,0987654321,member\n"
       "Thôn Khuổi Luông,village,,Đinh Văn Hải,0987654322,member\n")
PLAN = ("KẾ HOẠCH\nChuyển đổi số xã Hòa An năm 2026\n\n"
        "TT\tNhiệm vụ\tCơ quan chủ trì\tThời gian thực hiện\n"
        "1\tTuyên truyền VNeID tại thôn\tThôn Na Pai\tQuý IV năm 2026\n")


async def _unit(db: Database, name: str) -> Unit | None:
    async with db.session() as s:
        return (await s.exec(select(Unit).where(Unit.name == name))).first()


async def test_unit_merge_moves_the_plan_item_to_the_real_village(monkeypatch, capsys, db_url: str,  # noqa: ANN001
                                                                  db: Database, tmp_path: Path) -> None:
    (tmp_path / "org.csv").write_text(ORG, encoding="utf-8")
    (tmp_path / "kh.txt").write_text(PLAN, encoding="utf-8")
    for args in (("org", "import", str(tmp_path / "org.csv")), ("plan", "import", str(tmp_path / "kh.txt"))):
        code, _, err = await cli(monkeypatch, capsys, db_url, *args, "--commune", "Hòa An")
        assert code == 0, err
    real, twin = await _unit(db, "Thôn Nà Pài"), await _unit(db, "Thôn Na Pai")
    assert real is not None and twin is not None and real.id != twin.id
    async with db.session() as s:
        assert [i["code"] for i in await load_items(s, real.id)] == []  # type: ignore[arg-type]

    code, out, _ = await cli(monkeypatch, capsys, db_url, "unit", "merge", "--commune", "Hòa An",
                             "--keep", "Thôn Nà Pài", "--drop", "Thôn Na Pai", "--dry-run")
    assert code == 0 and json.loads(out)["drop"]["name"] == "Thôn Na Pai"
    assert await _unit(db, "Thôn Na Pai") is not None  # a dry run changes nothing
    for keep, drop, why in (("Thôn Nà Pài", "Thôn Nà Pài", "same unit"), ("Thôn Nà Pài", "Thôn Xa Lạ", "no unit"),
                            ("Thôn Nà Pài", "Phòng Văn hóa - Xã hội", "is a village")):
        code, _, err = await cli(monkeypatch, capsys, db_url, "unit", "merge", "--commune", "Hòa An",
                                 "--keep", keep, "--drop", drop)
        assert code == 2 and why in err, err
    code, out, err = await cli(monkeypatch, capsys, db_url, "unit", "merge", "--commune", "Hòa An",
                               "--keep", "Thôn Nà Pài", "--drop", str(twin.id))
    assert code == 0, err
    assert out.startswith(f"merged unit #{twin.id} Thôn Na Pai into #{real.id} Thôn Nà Pài")
    assert await _unit(db, "Thôn Na Pai") is None
    async with db.session() as s:
        assert [i["code"] for i in await load_items(s, real.id)] == ["1"]  # type: ignore[arg-type]
        audit = (await s.exec(select(AuditLog).where(AuditLog.action == "unit.merge"))).one()
    assert audit.detail["dropped_name"] == "Thôn Na Pai"
