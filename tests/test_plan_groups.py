"""Generic lead phrases are unit groups expanded to the org tree when reports are asked and counted;
results nobody owns go to the lead office; `plan assign` and `plan check`."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from handlers.report_items import load_items
from storage.db import Database
from storage.models import Unit
from storage.status import expected_units
from storage.unit_groups import LEAD_GROUP
from tests.test_cli_import import SEEDS, cli

ORG = ("Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò\n"
       "Văn phòng HĐND và UBND,office,,Trần Thị Lan,0912345678,lead\n"
       "Phòng Văn hóa - Xã hội,office,,Lê Văn Hòa,0912345679,officer\n"
       "Trường THCS Hòa An,office,,Nông Thị Mai,0912345670,officer\n"
       "Thôn Nà Pài,village,,Lò Văn Minh,0987654321,member\n")
PLAN = ("KẾ HOẠCH\nChuyển đổi số xã Hòa An năm 2026\n\n"
        "TT\tNhiệm vụ\tCơ quan chủ trì\tThời gian thực hiện\n"
        "1\tSố hóa hồ sơ lưu trữ\tCác phòng, ban chuyên môn, trung tâm trực thuộc UBND xã\tQuý II năm 2026\n"
        "2\tHọc bạ số\tCác đơn vị trường học trên địa bàn xã\tQuý III năm 2026\n"
        "3\tPhối hợp triển khai nền tảng số\tcơ quan, đơn vị liên quan\tTháng 10/2026\n"
        "4\tBồi dưỡng kỹ năng số\tToàn thể CBCC xã\tTháng 11/2026\n"
        "5\tXây dựng chợ số\tPhòng Kinh tế\tQuý IV năm 2026\n"
        "6\tKý số cho cán bộ\t\t\n")


async def _codes(db: Database, name: str) -> list[str]:
    async with db.session() as s:
        unit = (await s.exec(select(Unit).where(Unit.name == name))).one()
        return [i["code"] for i in await load_items(s, unit.id)]  # type: ignore[arg-type]


async def _setup(monkeypatch, capsys, db_url: str, tmp_path: Path) -> Path:  # noqa: ANN001
    (tmp_path / "org.csv").write_text(ORG, encoding="utf-8")
    code, _, err = await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "org.csv"),
                             "--commune", "Hòa An")
    assert code == 0, err
    plan = tmp_path / "kh.txt"
    plan.write_text(PLAN, encoding="utf-8")
    code, _, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(plan), "--commune", "Hòa An")
    assert code == 0, err
    return plan


async def test_generic_phrases_expand_to_the_org_tree(monkeypatch, capsys, db_url: str, db: Database,  # noqa: ANN001
                                                      tmp_path: Path) -> None:
    await _setup(monkeypatch, capsys, db_url, tmp_path)
    # Each real unit is asked the items of every group it belongs to.
    assert await _codes(db, "Phòng Văn hóa - Xã hội") == ["1", "4"]
    assert await _codes(db, "Văn phòng HĐND và UBND") == ["1", "3", "4"]  # the lead office follows up 3
    assert await _codes(db, "Trường THCS Hòa An") == ["2"]
    assert await _codes(db, "Thôn Nà Pài") == []
    async with db.session() as s:
        commune_id = (await s.exec(select(Unit.commune_id))).first()
        offices = [u.name for u in await expected_units(s, commune_id, "office", None)]  # type: ignore[arg-type]
    assert offices == ["Phòng Kinh tế", "Phòng Văn hóa - Xã hội", "Trường THCS Hòa An", "Văn phòng HĐND và UBND"]

    code, out, _ = await cli(monkeypatch, capsys, db_url, "plan", "show", "--commune", "Hòa An", "--json")
    groups = json.loads(out)["plans"][0]["groups"]
    # "All offices" are the org list's offices: Phòng Kinh tế is named only by the plan (task 5).
    assert groups == {
        "Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã": ["Phòng Văn hóa - Xã hội", "Văn phòng HĐND và UBND"],
        "Các đơn vị trường học trên địa bàn xã": ["Trường THCS Hòa An"],
        "cơ quan, đơn vị liên quan": ["Văn phòng HĐND và UBND"],
        "Toàn thể CBCC xã": ["Phòng Văn hóa - Xã hội", "Văn phòng HĐND và UBND"],
    }
    code, out, _ = await cli(monkeypatch, capsys, db_url, "plan", "show", "--commune", "Hòa An")
    assert "'Các đơn vị trường học trên địa bàn xã' → Trường THCS Hòa An" in out


async def test_plan_check_and_assign(monkeypatch, capsys, db_url: str, db: Database, tmp_path: Path) -> None:  # noqa: ANN001
    plan = await _setup(monkeypatch, capsys, db_url, tmp_path)
    code, out, _ = await cli(monkeypatch, capsys, db_url, "plan", "check", "--commune", "Hòa An", "--json")
    res = json.loads(out)
    assert code == 1
    title = "Chuyển đổi số xã Hòa An năm 2026"
    assert res["unreportable"] == [f"{title} · task 5: nobody on the org list in Phòng Kinh tế",
                                   f"{title} · task 6: no owner"]
    assert res["missing_units"] == ["Phòng Kinh tế (1 item(s))"]
    assert res["no_due_date"] == [f"{title} · task 6: (none)"]

    code, _, err = await cli(monkeypatch, capsys, db_url, "plan", "assign", "5", "--commune", "Hòa An",
                             "--unit", "Phòng Nông nghiệp")
    assert code == 2 and "no unit named 'Phòng Nông nghiệp' in Hòa An" in err
    for item in ("5", "6"):
        code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "assign", item, "--commune", "Hòa An",
                                   "--unit", "Phòng Văn hoá – Xã hội")
        assert code == 0 and f"task {item} is now reported by Phòng Văn hóa - Xã hội" in out, err
    assert await _codes(db, "Phòng Văn hóa - Xã hội") == ["1", "4", "5", "6"]
    code, out, _ = await cli(monkeypatch, capsys, db_url, "plan", "check", "--commune", "Hòa An", "--json")
    assert code == 0 and json.loads(out)["unreportable"] == []

    # Re-importing the unchanged file keeps the assignments and reports no change.
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(plan), "--commune", "Hòa An",
                               "--json")
    assert code == 0 and json.loads(out)["changed"] == [], err
    assert await _codes(db, "Phòng Văn hóa - Xã hội") == ["1", "4", "5", "6"]
    assert await _codes(db, "Văn phòng HĐND và UBND") == ["1", "3", "4"]


async def test_results_without_an_owner_go_to_the_lead_office(monkeypatch, capsys, db_url: str,  # noqa: ANN001
                                                               db: Database, tmp_path: Path) -> None:
    (tmp_path / "org.csv").write_text(
        "Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò\n"
        "Văn phòng HĐND và UBND,office,,Trần Thị Lan,0912345678,lead\n"
        "Phòng Văn hoá – Xã hội,office,,Lê Văn Hòa,0912345679,officer\n", encoding="utf-8")
    await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "org.csv"), "--commune", "Thiện Tân")
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(SEEDS / "004_c376c46bef4544c5.txt"),
                               "--commune", "Thiện Tân", "--json")
    assert code == 0, err
    assert (json.loads(out)["tasks"], json.loads(out)["indicators"]) == (39, 41)
    assert "31 indicator(s) have no owner unit of their own: the lead office is asked" in err
    lead = await _codes(db, "Văn phòng HĐND và UBND")
    vhxh = await _codes(db, "Phòng Văn hoá – Xã hội")
    assert "N4.KQ1" in lead and "N4.KQ1" not in vhxh  # not asked of six units any more
    assert {"N3.KQ1", "N9.KQ1"} <= set(vhxh) and "N3.KQ1" not in lead  # a group led by one unit keeps it
    # The 17 tasks led by "Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã" reach every office.
    assert sum(1 for c in vhxh if ".KQ" not in c) >= 17
    code, out, _ = await cli(monkeypatch, capsys, db_url, "plan", "show", "--commune", "Thiện Tân", "--json")
    shown = json.loads(out)["plans"][0]
    assert next(i for i in shown["indicators"] if i["code"] == "N4.KQ1")["owner_units"] == [LEAD_GROUP]
    assert shown["groups"][LEAD_GROUP] == ["Văn phòng HĐND và UBND"]
    code, _, _ = await cli(monkeypatch, capsys, db_url, "plan", "assign", "N4.KQ1", "--commune", "Thiện Tân",
                           "--unit", "Phòng Văn hóa - Xã hội")
    assert code == 0
    assert "N4.KQ1" in await _codes(db, "Phòng Văn hoá – Xã hội")
    assert "N4.KQ1" not in await _codes(db, "Văn phòng HĐND và UBND")


async def test_a_group_task_is_asked_of_every_office_in_chat(tg, db: Database) -> None:  # noqa: ANN001
    from datetime import UTC, datetime

    from storage.models import Commune
    from storage.plan_import.model import Due, ParsedPlan, ParsedTask
    from storage.plan_store import save_plan
    from tests.seed import add_person, make_org

    org = await make_org(db)
    async with db.transaction() as s:
        commune = (await s.exec(select(Commune))).one()
        await save_plan(s, commune, ParsedPlan(title="Kế hoạch thử", year=2026, sections=["I"], tasks=[
            ParsedTask("1", "I", "Số hóa hồ sơ lưu trữ", ["Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã"],
                       [], Due("Quý IV năm 2026", None, kind="dated")),
            ParsedTask("2", "I", "Ký số", ["Trung tâm Phục vụ hành chính công"], []),
        ]), now=datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    await add_person(db, org["hcc"], "Hoàng Văn Nam", "officer", telegram_id=7101)
    await add_person(db, org["vhxh"], "Lê Văn Hòa", "officer", telegram_id=7102)
    sent = await tg.say(7101, "/baocao", expect=2)
    assert "(1/2)" in sent[1].text and "Số hóa hồ sơ lưu trữ" in sent[1].text
    sent = await tg.say(7102, "/baocao", expect=2)
    assert "(1/1)" in sent[1].text and "Số hóa hồ sơ lưu trữ" in sent[1].text  # asked through the group
    async with db.session() as s:
        offices = [u.name for u in await expected_units(s, org["commune"], "office", None)]
    assert offices == ["Phòng Văn hóa - Xã hội", "Trung tâm Phục vụ hành chính công"]  # both counted


async def test_migration_makes_stored_phrases_groups(db: Database) -> None:
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from tests.migration_support import downgrade_to

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade_to, "0009_update_quarantine")
        await conn.execute(sa.text("INSERT INTO commune (name, key, created_at) VALUES ('Hòa An', 'hòa an', :t)")
                           .bindparams(sa.bindparam("t", type_=sa.DateTime(timezone=True))),
                           {"t": datetime(2026, 11, 1, tzinfo=UTC)})
        cid = (await conn.execute(sa.text("SELECT id FROM commune"))).scalar()
        for name, kind in (("Toàn thể CBCC xã", "office"), ("Các trường học trên địa bàn", "group"),
                           ("Phòng Văn hóa - Xã hội", "office"), ("Các doanh nghiệp viễn thông", "group")):
            await conn.execute(sa.text("INSERT INTO unit (commune_id, name, key, kind) VALUES (:c, :n, :k, :kind)"),
                               {"c": cid, "n": name, "k": name.lower(), "kind": kind})
    await db.upgrade()
    async with db.session() as s:
        units = {u.name: (u.kind, u.members) for u in (await s.exec(select(Unit))).all()}
    assert units == {"Toàn thể CBCC xã": ("group", "offices"), "Các trường học trên địa bàn": ("group", "schools"),
                     "Phòng Văn hóa - Xã hội": ("office", None), "Các doanh nghiệp viễn thông": ("group", None)}
