"""Plans in shapes the five seeds do not have, imported through the CLI on SQLite and PostgreSQL: prose
target bullets (Word list numbering too), a title row above the header, an extra explanation column,
section rows like "II Hạ tầng số (05 chỉ tiêu)", partner units, "85,5% / 100%"; "all offices" are the
org list's; migration 0012 marks the units only a plan named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import Indicator, Unit
from storage.status import expected_units
from tests.test_cli_import import cli


async def _import(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str, path: Path,
                  *extra: str) -> dict:
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(path), "--commune", "Hòa An",
                               "--json", *extra)
    assert code == 0, err
    return json.loads(out)


async def _shown(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str) -> list[dict]:
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "show", "--commune", "Hòa An", "--json")
    assert code == 0, err
    return json.loads(out)["plans"]


def _word_plan(path: Path) -> Path:
    import docx

    doc = docx.Document()
    for text in ("ỦY BAN NHÂN DÂN XÃ HÒA AN", "KẾ HOẠCH", "Chuyển đổi số xã Hòa An năm 2026"):
        doc.add_paragraph(text)
    doc.add_paragraph("MỤC TIÊU", style="List Number")  # "1." drawn by Word, not in the text
    doc.add_paragraph("Mục tiêu cụ thể đến năm 2030")
    for text in ("100% thủ tục hành chính đủ điều kiện được cung cấp trực tuyến toàn trình.",
                 "Trên 90% hộ gia đình có kết nối Internet cáp quang (Phòng Kinh tế chủ trì, phối hợp Viễn thông).",
                 "Phấn đấu đến hết năm 2026, xây dựng 03 mô hình thôn thông minh.",
                 "Xã đạt chuẩn chuyển đổi số: Đạt.",
                 "Nâng cao nhận thức của người dân về chuyển đổi số."):
        doc.add_paragraph(text, style="List Bullet")
    doc.add_paragraph("NHIỆM VỤ VÀ GIẢI PHÁP", style="List Number")
    doc.add_paragraph("Tuyên truyền đến 100% các thôn.", style="List Bullet")  # not a target: past the targets
    doc.save(str(path))
    return path


async def test_prose_targets_in_word_lists(monkeypatch, capsys, db_url: str, db: Database,  # noqa: ANN001
                                           tmp_path: Path) -> None:
    res = await _import(monkeypatch, capsys, db_url, _word_plan(tmp_path / "ke-hoach.docx"))
    assert (res["tasks"], res["indicators"]) == (0, 4)
    assert any(w.startswith("1 sentence(s) under target headings state no measurable target and were skipped: "
                            "'Nâng cao nhận thức") for w in res["warnings"])
    inds = (await _shown(monkeypatch, capsys, db_url))[0]["indicators"]
    got = {i["code"]: (i["target"]["op"], i["target"]["value"], i["owner_units"], i["partner_units"], i["due"]["date"])
           for i in inds}
    assert got == {
        "MT1": ("=", 100, ["Văn phòng theo dõi (chưa giao đơn vị)"], [], "2030-12-31"),  # due from the heading
        "MT2": (">", 90, ["Phòng Kinh tế"], ["Viễn thông"], "2030-12-31"),
        "MT3": ("=", 3, ["Văn phòng theo dõi (chưa giao đơn vị)"], [], "2026-12-31"),  # its own "đến hết năm 2026"
        "MT4": ("bool", None, ["Văn phòng theo dõi (chưa giao đơn vị)"], [], "2030-12-31"),
    }
    assert all(i["section"] == "Mục tiêu cụ thể đến năm 2030" for i in inds)
    # The same file again changes nothing.
    res = await _import(monkeypatch, capsys, db_url, tmp_path / "ke-hoach.docx")
    assert (res["created"], res["added"], res["changed"], res["removed"]) == (False, [], [], 0)


async def test_prose_without_any_target_is_refused(monkeypatch, capsys, db_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    f = tmp_path / "kh.txt"
    f.write_text("KẾ HOẠCH\nChuyển đổi số năm 2026\nI. MỤC TIÊU\n- Nâng cao nhận thức về chuyển đổi số.\n",
                 encoding="utf-8")
    code, _, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(f), "--commune", "Hòa An")
    assert code == 2 and "no table of tasks or indicators was found" in err and "MỤC TIÊU" in err


def _sheet_plan(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["BIỂU CHỈ TIÊU CHUYỂN ĐỔI SỐ XÃ HÒA AN NĂM 2026"])  # a title row above the header
    ws.merge_cells("A1:G1")
    ws.append(["TT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch năm 2026", "Giải thích, cách tính", "Cơ quan chủ trì",
               "Cơ quan thực hiện/phối hợp"])
    ws.append(["I", "Chính quyền số (02 chỉ tiêu)"])
    ws.append([1, "Tỷ lệ hồ sơ TTHC xử lý trực tuyến", "%", "≥ 80", "Hồ sơ trực tuyến / tổng số hồ sơ",
               "Trung tâm Phục vụ hành chính công", "Văn phòng HĐND và UBND"])
    ws.append([2, "Phòng, ban chuyên môn được nâng cấp hạ tầng", "", "85,5% / 100%", "Năm 2026 / năm 2027",
               "Văn phòng HĐND và UBND", "Các phòng, ban chuyên môn"])
    ws.append(["II Hạ tầng số (05 chỉ tiêu)"])  # a section row written in the first cell
    ws.append([1, "Tỷ lệ thôn có cáp quang", "%", "100", "", "Phòng Kinh tế", "Viễn thông; Công an xã"])
    book.save(str(path))
    return path


async def test_table_with_title_row_explanation_column_and_counted_sections(  # noqa: ANN201
        monkeypatch, capsys, db_url: str, db: Database, tmp_path: Path) -> None:  # noqa: ANN001
    res = await _import(monkeypatch, capsys, db_url, _sheet_plan(tmp_path / "chi-tieu.xlsx"))
    assert (res["tasks"], res["indicators"], res["year"]) == (0, 3, 2026)
    plan = (await _shown(monkeypatch, capsys, db_url))[0]
    got = {i["code"]: (i["section"], i["target"]["op"], i["target"]["value"], i["owner_units"], i["partner_units"])
           for i in plan["indicators"]}
    assert got == {
        "I.1": ("I. Chính quyền số (02 chỉ tiêu)", ">=", 80, ["Trung tâm Phục vụ hành chính công"],
                ["Văn phòng HĐND và UBND"]),
        "I.2": ("I. Chính quyền số (02 chỉ tiêu)", "=", 100, ["Văn phòng HĐND và UBND"], ["Các phòng, ban chuyên môn"]),
        "II.1": ("II Hạ tầng số (05 chỉ tiêu)", "=", 100, ["Phòng Kinh tế"], ["Viễn thông", "Công an xã"]),
    }
    assert "Giải thích" not in json.dumps(plan, ensure_ascii=False)  # the explanation column is not an item
    async with db.session() as s:
        ind = (await s.exec(select(Indicator).where(Indicator.code == "I.2"))).one()
    assert ind.target_text == "85,5% / 100%"  # two milestones kept as written; the last one is measured


async def test_all_offices_are_the_org_lists(monkeypatch, capsys, db_url: str, db: Database,  # noqa: ANN001
                                             tmp_path: Path) -> None:
    (tmp_path / "org.csv").write_text("Đơn vị,Loại,Họ tên,Vai trò\nVăn phòng HĐND và UBND,office,Trần Thị Lan,lead\n",
                                      encoding="utf-8")
    code, _, err = await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "org.csv"),
                             "--commune", "Hòa An")
    assert code == 0, err
    await _import(monkeypatch, capsys, db_url, _sheet_plan(tmp_path / "chi-tieu.xlsx"))
    groups = (await _shown(monkeypatch, capsys, db_url))[0]["groups"]
    assert groups["Các phòng, ban chuyên môn"] == ["Văn phòng HĐND và UBND"]  # not Phòng Kinh tế, Công an xã…
    async with db.session() as s:
        from_plan = {u.name for u in (await s.exec(select(Unit).where(Unit.from_plan))).all()}
    assert {"Phòng Kinh tế", "Công an xã", "Trung tâm Phục vụ hành chính công"} <= from_plan
    # Listed later by the org list, Phòng Kinh tế becomes one of "all offices".
    (tmp_path / "org2.csv").write_text("Đơn vị,Loại\nPhòng Kinh tế,office\n", encoding="utf-8")
    code, _, err = await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "org2.csv"),
                             "--commune", "Hòa An")
    assert code == 0, err
    groups = (await _shown(monkeypatch, capsys, db_url))[0]["groups"]
    assert groups["Các phòng, ban chuyên môn"] == ["Phòng Kinh tế", "Văn phòng HĐND và UBND"]
    async with db.session() as s:
        commune_id = (await s.exec(select(Unit.commune_id))).first()
        offices = [u.name for u in await expected_units(s, commune_id, "office", None)]  # type: ignore[arg-type]
    assert "Phòng Kinh tế" in offices


async def test_migration_marks_units_only_a_plan_named(db: Database) -> None:
    import sqlalchemy as sa

    from tests.migration_support import downgrade_to

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade_to, "0011_plan_owners")
        await conn.execute(sa.text("INSERT INTO commune (name, key, created_at) VALUES ('Hòa An', 'hòa an', :t)")
                           .bindparams(sa.bindparam("t", type_=sa.DateTime(timezone=True))),
                           {"t": datetime(2026, 11, 1, tzinfo=UTC)})
        cid = (await conn.execute(sa.text("SELECT id FROM commune"))).scalar()
        await conn.execute(sa.text("INSERT INTO plan (commune_id, title, key, year, imported_at) "
                                   "VALUES (:c, 'KH', 'kh', 2026, :t)")
                           .bindparams(sa.bindparam("t", type_=sa.DateTime(timezone=True))),
                           {"c": cid, "t": datetime(2026, 11, 1, tzinfo=UTC)})
        pid = (await conn.execute(sa.text("SELECT id FROM plan"))).scalar()
        await conn.execute(sa.text("INSERT INTO task (plan_id, position, code, title, due_text, due_recurring, "
                                   "due_kind, owners_assigned) VALUES (:p, 0, '1', 'Số hóa', '', :f, 'none', :f)"),
                           {"p": pid, "f": False})
        tid = (await conn.execute(sa.text("SELECT id FROM task"))).scalar()
        ids = {}
        for name in ("Văn phòng HĐND và UBND", "Phòng Kinh tế", "Phòng Văn hóa - Xã hội"):
            await conn.execute(sa.text("INSERT INTO unit (commune_id, name, key, kind) VALUES (:c, :n, :k, 'office')"),
                               {"c": cid, "n": name, "k": name.lower()})
            ids[name] = (await conn.execute(sa.text("SELECT id FROM unit WHERE name = :n"), {"n": name})).scalar()
        await conn.execute(sa.text("INSERT INTO person (commune_id, unit_id, name, role, locale, weekend_reminders, "
                                   "created_at) VALUES (:c, :u, 'Lan', 'lead', 'vi', :f, :t)")
                           .bindparams(sa.bindparam("t", type_=sa.DateTime(timezone=True))),
                           {"c": cid, "u": ids["Văn phòng HĐND và UBND"], "f": False,
                            "t": datetime(2026, 11, 1, tzinfo=UTC)})
        for name in ("Văn phòng HĐND và UBND", "Phòng Kinh tế"):
            await conn.execute(sa.text("INSERT INTO taskunit (task_id, unit_id, role, position) "
                                       "VALUES (:t, :u, 'lead', 0)"), {"t": tid, "u": ids[name]})
    await db.upgrade()
    async with db.session() as s:
        units = {u.name: u.from_plan for u in (await s.exec(select(Unit))).all()}
    # Staffed: on the org list. Named by the plan and nobody there: the plan's. Named by nothing: kept.
    assert units == {"Văn phòng HĐND và UBND": False, "Phòng Kinh tế": True, "Phòng Văn hóa - Xã hội": False}


async def test_seed_targets_written_as_prose_only(monkeypatch, capsys, db_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    """Seed 000 without its tables: the "2. Mục tiêu cụ thể" paragraphs alone make a plan."""
    seed = (Path(__file__).resolve().parent / "data" / "seeds" / "000_fbe0021516ef53e6.txt").read_text(encoding="utf-8")
    f = tmp_path / "vinh-thong-muc-tieu.txt"
    f.write_text(seed[: seed.index("III. NHIỆM VỤ VÀ GIẢI PHÁP")], encoding="utf-8")
    res = await _import(monkeypatch, capsys, db_url, f)
    assert (res["tasks"], res["indicators"], res["year"]) == (0, 16, 2026)
    assert any("were skipped" in w for w in res["warnings"])
    inds = {i["code"]: i for i in (await _shown(monkeypatch, capsys, db_url))[0]["indicators"]}
    mt2 = inds["MT2"]  # "… tốc độ trên 01 Gbps đạt 80%": the target is 80%, not "> 1 Gbps"
    assert (mt2["target"]["op"], mt2["target"]["value"], mt2["unit"]) == ("=", 80, "%")
    assert mt2["section"] == "2.1. Về phát triển hạ tầng số"
    assert inds["MT16"]["section"] == "2.6. Về an toàn, an ninh mạng"


async def test_merging_units_keeps_partner_links_and_the_org_list_flag(monkeypatch, capsys, db_url: str,  # noqa: ANN001
                                                                       db: Database, tmp_path: Path) -> None:
    from storage.merge import merge_units
    from storage.models_plan import IndicatorPartner

    await _import(monkeypatch, capsys, db_url, _sheet_plan(tmp_path / "chi-tieu.xlsx"))
    (tmp_path / "org.csv").write_text("Đơn vị,Loại\nCông an xã (CA),office\n", encoding="utf-8")
    code, _, err = await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "org.csv"),
                             "--commune", "Hòa An")
    assert code == 0, err
    async with db.session() as s:
        ids = {u.name: u.id for u in (await s.exec(select(Unit))).all()}
        ind = (await s.exec(select(Indicator).where(Indicator.code == "II.1"))).one()
    async with db.transaction() as s:  # both the plan's "Công an xã" and the listed one are partners of II.1
        s.add(IndicatorPartner(indicator_id=ind.id, unit_id=ids["Công an xã (CA)"], position=2))  # type: ignore[arg-type]
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: merge_units(c, ids["Công an xã"], ids["Công an xã (CA)"]))
    async with db.session() as s:
        kept = await s.get(Unit, ids["Công an xã"])
        links = (await s.exec(select(IndicatorPartner.unit_id).where(IndicatorPartner.indicator_id == ind.id))).all()
    assert kept is not None and kept.from_plan is False  # the dropped unit was on the org list
    assert sorted(links) == sorted([ids["Viễn thông"], ids["Công an xã"]])
