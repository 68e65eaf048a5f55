"""Plan identity is the document (number, title), not the file name; nothing is removed without
--replace; --dry-run writes nothing; every assumption is said (stderr and --json)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from sqlmodel import select

from storage.db import Database
from storage.models import Plan, Task
from tests.test_cli_import import SEEDS, cli, count

HEADER = ("TT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời gian thực hiện")


def _txt(path: Path, rows: list[tuple[str, ...]], head: str = "") -> Path:
    lines = [head, "", "\t".join(HEADER), *("\t".join(r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


TITLED = "KẾ HOẠCH\nChuyển đổi số xã Hòa An năm 2026"
ROWS = [("1", "Số hóa hồ sơ", "Văn phòng HĐND và UBND", "Quý II năm 2026"),
        ("2", "Tuyên truyền dịch vụ công", "Phòng Văn hóa - Xã hội", "Tháng 11/2026"),
        ("3", "Ký số cho cán bộ", "Văn phòng HĐND và UBND", "Quý III năm 2026")]


async def _titles(db: Database) -> dict[str, list[str]]:
    async with db.session() as s:
        rows = (await s.exec(select(Plan.title, Task.code).join(Task).order_by(Task.position))).all()
    out: dict[str, list[str]] = {}
    for title, code in rows:
        out.setdefault(title, []).append(code)
    return out


async def test_same_stem_other_file_is_not_silently_merged(monkeypatch, capsys, db_url: str, db: Database,  # noqa: ANN001
                                                           tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in ROWS:
        ws.append(r)
    wb.save(tmp_path / "kh.xlsx")
    (tmp_path / "kh.csv").write_text(
        "TT,Nhiệm vụ,Cơ quan chủ trì,Thời gian thực hiện\n"
        "1,Lắp camera an ninh,Công an xã,Quý IV\n", encoding="utf-8")

    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(tmp_path / "kh.xlsx"),
                               "--commune", "Hòa An", "--year", "2026", "--json")
    assert code == 0, err
    assert "warning: no title line" in err and "named after the file ('kh')" in err
    assert any("named after the file" in w for w in json.loads(out)["warnings"])

    # kh.csv is another document with the same stem: refused, the xlsx plan's tasks are kept.
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(tmp_path / "kh.csv"),
                               "--commune", "Hòa An", "--year", "2026")
    assert code == 1
    assert "kh.csv has no title line or number" in err and "--title" in err and "--replace" in err
    assert "  - task 2: Tuyên truyền dịch vụ công" in err and "  ~ task 1: Lắp camera an ninh" in err
    assert await _titles(db) == {"kh": ["1", "2", "3"]}

    # Named, it is a plan of its own next to the xlsx plan.
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(tmp_path / "kh.csv"),
                               "--commune", "Hòa An", "--year", "2026", "--title", "Kế hoạch an ninh số")
    assert code == 0, err
    assert "named after the file" not in err
    assert await _titles(db) == {"kh": ["1", "2", "3"], "Kế hoạch an ninh số": ["1"]}

    # The very same xlsx again changes nothing and is accepted.
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(tmp_path / "kh.xlsx"),
                               "--commune", "Hòa An", "--year", "2026", "--json")
    assert code == 0 and json.loads(out)["created"] is False
    assert (json.loads(out)["added"], json.loads(out)["changed"], json.loads(out)["removed"]) == ([], [], 0)


async def test_removing_rows_needs_replace_and_dry_run_writes_nothing(monkeypatch, capsys, db_url: str,  # noqa: ANN001
                                                                      db: Database, tmp_path: Path) -> None:
    first = _txt(tmp_path / "ke-hoach.txt", ROWS, TITLED)
    code, _, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(first), "--commune", "Hòa An")
    assert code == 0, err
    # The edited plan, saved under another name: task 2 dropped, task 3's deadline moved, task 4 new.
    edited = _txt(tmp_path / "KH_sua_doi_final.txt", [
        ROWS[0], ("3", "Ký số cho cán bộ", "Văn phòng HĐND và UBND", "Quý IV năm 2026"),
        ("4", "Rà soát thiết bị", "Công an xã", "Tháng 9/2026")], TITLED)

    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(edited), "--commune", "Hòa An",
                               "--dry-run", "--json")
    assert code == 0, err
    dry = json.loads(out)
    assert dry["dry_run"] is True and dry["created"] is False
    assert dry["added"] == ["task 4: Rà soát thiết bị"]
    assert dry["changed"] == ["task 3: Ký số cho cán bộ (deadline)"]
    assert dry["removed"] == ["task 2: Tuyên truyền dịch vụ công"]
    code, out, _ = await cli(monkeypatch, capsys, db_url, "plan", "import", str(edited), "--commune", "Hòa An",
                             "--dry-run")
    assert code == 0 and "1 added, 1 changed, 1 removed" in out and "nothing was written" in out
    assert "  - task 2: Tuyên truyền dịch vụ công" in out
    assert await _titles(db) == {"Chuyển đổi số xã Hòa An năm 2026": ["1", "2", "3"]}

    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(edited), "--commune", "Hòa An")
    assert code == 1 and "would remove 1 row(s)" in err and "--replace" in err
    assert "  - task 2: Tuyên truyền dịch vụ công" in err
    assert await _titles(db) == {"Chuyển đổi số xã Hòa An năm 2026": ["1", "2", "3"]}
    async with db.session() as s:
        t3 = (await s.exec(select(Task).where(Task.code == "3"))).one()
    assert t3.due_date == date(2026, 9, 30)  # nothing of the refused import was written

    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(edited), "--commune", "Hòa An",
                               "--replace", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["created"] is False and res["removed"] == 1
    assert res["removed_rows"] == ["task 2: Tuyên truyền dịch vụ công"]
    assert await _titles(db) == {"Chuyển đổi số xã Hòa An năm 2026": ["1", "3", "4"]}
    assert await count(db, Plan) == 1


async def test_number_is_the_identity(monkeypatch, capsys, db_url: str, db: Database, tmp_path: Path) -> None:  # noqa: ANN001
    head = "Số: 45/KH-UBND\nHòa An, ngày 12 tháng 3 năm 2026\n\n" + TITLED
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(_txt(tmp_path / "a.txt", ROWS, head)),
                               "--commune", "Hòa An", "--json")
    assert code == 0, err
    # The same document with its title reworded is the same plan (title updated).
    reworded = head.replace("Chuyển đổi số xã Hòa An", "Chuyển đổi số và đổi mới sáng tạo xã Hòa An")
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(_txt(tmp_path / "b.txt", ROWS, reworded)),
                               "--commune", "Hòa An", "--json")
    assert code == 0 and json.loads(out)["created"] is False, err
    # Another plan number with the old title is another document.
    other = head.replace("45/KH-UBND", "46/KH-UBND")
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(_txt(tmp_path / "a.txt", ROWS[:1], other)),
                               "--commune", "Hòa An", "--json")
    assert code == 0 and json.loads(out)["created"] is True, err
    code, out, _ = await cli(monkeypatch, capsys, db_url, "plan", "show", "--commune", "Hòa An", "--json")
    plans = {p["number"]: p for p in json.loads(out)["plans"]}
    assert set(plans) == {"45/KH-UBND", "46/KH-UBND"}
    assert plans["45/KH-UBND"]["title"] == "Chuyển đổi số và đổi mới sáng tạo xã Hòa An năm 2026"
    assert plans["45/KH-UBND"]["issued"] == "2026-03-12"
    assert len(plans["45/KH-UBND"]["tasks"]) == 3 and len(plans["46/KH-UBND"]["tasks"]) == 1


async def test_seed_renamed_is_the_same_plan(monkeypatch, capsys, db_url: str, db: Database, tmp_path: Path) -> None:  # noqa: ANN001
    seed = SEEDS / "000_fbe0021516ef53e6.txt"
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(seed), "--commune", "Vĩnh Thông",
                               "--json")
    assert code == 0 and json.loads(out)["warnings"] == [], err
    copy = tmp_path / "KeHoach-VinhThong-ban-cuoi.txt"
    copy.write_bytes(seed.read_bytes())
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(copy), "--commune", "Vĩnh Thông",
                               "--json")
    res = json.loads(out)
    assert code == 0 and res["created"] is False and (res["added"], res["changed"], res["removed"]) == ([], [], 0)
    assert await count(db, Plan) == 1 and await count(db, Task) == 12


async def test_every_assumption_is_said(monkeypatch, capsys, db_url: str, db: Database, tmp_path: Path) -> None:  # noqa: ANN001
    f = _txt(tmp_path / "plan.txt", [
        ("1", "Số hóa hồ sơ", "Văn phòng HĐND và UBND", "Quý II"),
        ("2", "Ký số cho cán bộ", "", "Sớm nhất có thể"),
        ("3", "Rà soát thiết bị", "Công an xã", "")], "KẾ HOẠCH\nChuyển đổi số xã Hòa An")
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(f), "--commune", "Hòa An", "--json")
    assert code == 0, err
    res = json.loads(out)
    year = date.today().year
    assert res["year"] == year
    expected = [
        f"no year is named in the file: imported as {year} (the current year); pass --year to change it",
        "1 task(s) have no lead unit, so nobody will be asked to report them: 2",
        "1 task(s) have no deadline: 3",
        "1 deadline(s) not understood, kept as text with no date: 2 'Sớm nhất có thể'",
    ]
    assert res["warnings"] == expected
    assert [ln for ln in err.splitlines() if ln.startswith("warning: ")] == [f"warning: {w}" for w in expected]
    # Given the year, it is not an assumption any more.
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(f), "--commune", "Hòa An",
                               "--year", "2027", "--json")
    assert code == 0 and "no year" not in err and json.loads(out)["year"] == 2027
