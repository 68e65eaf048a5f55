"""The operator CLI end to end on each backend: migrations, plan and org import, plan show, invites."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import func, inspect
from sqlmodel import select

from bot.cli import main
from storage.db import Database
from storage.models import Indicator, Person, Plan, Task, TaskUnit, Unit

SEEDS = Path(__file__).resolve().parent / "data" / "seeds"  # copies of the five seed plans


async def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str,
              *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    code = await asyncio.to_thread(main, list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


async def count(db: Database, model: type) -> int:
    async with db.session() as s:
        return (await s.exec(select(func.count()).select_from(model))).one()


async def test_db_upgrade_is_idempotent(monkeypatch, capsys, db_url: str, db: Database) -> None:  # noqa: ANN001
    code, out, _ = await cli(monkeypatch, capsys, db_url, "db", "upgrade")
    assert code == 0 and "up to date" in out
    code, _, _ = await cli(monkeypatch, capsys, db_url, "db", "upgrade")
    assert code == 0
    async with db.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        version = (await conn.exec_driver_sql("select version_num from alembic_version")).scalar()
    assert {"person", "identity", "plan", "task", "indicator", "report", "activitylog", "outbox",
            "reminderlog", "conversationstate", "processedupdate", "auditlog"} <= tables
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert "streamsetting" in tables


@pytest.mark.parametrize(("seed", "commune", "tasks", "indicators", "sections"), [
    ("000_fbe0021516ef53e6.txt", "Vĩnh Thông", 12, 17, 3),
    ("001_1c5d8a20ce423d5c.txt", "Tiêu Cần", 0, 90, 11),
    ("002_2221010604091b69.txt", "Bắc Kạn", 13, 21, 4),
    ("003_98836acbe613e27d.txt", "Tân Thanh", 17, 0, 3),
    ("004_c376c46bef4544c5.txt", "Thiện Tân", 39, 41, 11),
])
async def test_seed_import_and_reimport(monkeypatch, capsys, db_url: str, db: Database, seed: str,  # noqa: ANN001
                                        commune: str, tasks: int, indicators: int, sections: int) -> None:
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(SEEDS / seed),
                               "--commune", commune, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["tasks"], summary["indicators"], summary["sections"], summary["created"]) == \
        (tasks, indicators, sections, True)
    units_after_first = await count(db, Unit)
    links_after_first = await count(db, TaskUnit)

    code, out, _ = await cli(monkeypatch, capsys, db_url, "plan", "import", str(SEEDS / seed),
                             "--commune", commune, "--json")
    assert code == 0 and json.loads(out)["created"] is False
    assert await count(db, Plan) == 1
    assert await count(db, Task) == tasks
    assert await count(db, Indicator) == indicators
    assert await count(db, Unit) == units_after_first
    assert await count(db, TaskUnit) == links_after_first

    code, out, _ = await cli(monkeypatch, capsys, db_url, "plan", "show", "--commune", commune, "--json")
    shown = json.loads(out)["plans"][0]
    assert shown["commune"] == commune and shown["year"] == 2026
    assert len(shown["tasks"]) == tasks and len(shown["indicators"]) == indicators
    for t in shown["tasks"]:
        assert set(t) == {"code", "section", "title", "lead_units", "partner_units", "due", "output", "detail"}
        assert set(t["due"]) == {"text", "date", "recurring"}
    for i in shown["indicators"]:
        assert set(i["target"]) == {"text", "op", "value", "boolean"}


async def test_seed_004_rows_and_unit_matching(monkeypatch, capsys, db_url: str, db: Database) -> None:  # noqa: ANN001
    await cli(monkeypatch, capsys, db_url, "plan", "import", str(SEEDS / "004_c376c46bef4544c5.txt"),
              "--commune", "Thiện Tân")
    _, out, _ = await cli(monkeypatch, capsys, db_url, "plan", "show", "--json")
    plan = json.loads(out)["plans"][0]
    leads = {u for t in plan["tasks"] for u in t["lead_units"]}
    assert "Phòng Văn hóa - Xã hội" in leads or "Phòng Văn hoá - Xã hội" in leads or any(
        "Văn hóa" in u or "Văn hoá" in u for u in leads)
    async with db.session() as s:
        keys = [u.key for u in (await s.exec(select(Unit))).all()]
    assert len(keys) == len(set(keys))  # one unit per normalised name
    dated = [t for t in plan["tasks"] if t["due"]["date"]]
    assert dated and all(d["due"]["date"].startswith("2026") for d in dated)


async def test_bad_plan_files_fail_cleanly(monkeypatch, capsys, db_url: str, db: Database,  # noqa: ANN001
                                           tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "plan.xlsx"
    binary.write_bytes(b"\x00\x01garbage" * 50)
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    for f in (empty, binary, pdf, tmp_path / "missing.docx"):
        code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(f), "--commune", "X")
        assert code == 2, (f, out, err)
        lines = [ln for ln in err.strip().splitlines() if ln]
        assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in err
    assert await count(db, Plan) == 0


async def test_org_import_idempotent_with_row_errors(monkeypatch, capsys, db_url: str, db: Database,  # noqa: ANN001
                                                      tmp_path: Path) -> None:
    f = tmp_path / "org.csv"
    f.write_text(
        "Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò\n"
        "Phòng Văn hoá – Xã hội,office,,Trần Thị Lan,0912 345 678,lead\n"
        "Thôn Nà Pài,thôn,,,,\n"
        "Thôn Nà Pài,village,,Lò Văn Minh,+84 987 654 321,member\n"
        "Thôn Nà Pài,village,,Bad Phone,12345,member\n"
        "Thôn Khuổi Luông,planet,,Someone,,member\n"
        ",office,,Nobody,,member\n"
        "Trung tâm Phục vụ hành chính công,office,,Hoàng Văn Nam,,chief\n"
        "Thôn Mới,planet,,Ba Lỗi,0123,boss\n", encoding="utf-8")  # three problems in one row
    code, out, err = await cli(monkeypatch, capsys, db_url, "org", "import", str(f), "--commune", "Thiện Tân",
                               "--json")
    assert code == 1
    res = json.loads(out)
    assert res["people_created"] == 2 and res["units_created"] == 2
    assert [e.split(":")[0] for e in res["errors"]] == ["row 5", "row 6", "row 7", "row 8", "row 9"]
    assert "phone" in res["errors"][0] and "kind" in res["errors"][1] and "role" in res["errors"][3]
    assert res["errors"][4] == ("row 9: unknown kind 'planet' (office or village); unknown role 'boss' "
                                "(member, officer, lead, admin); phone '0123' is not a Vietnamese phone number")
    assert "error: row 9: unknown kind" in err and err.count("row 9") == 1  # one line per bad row
    code, out, _ = await cli(monkeypatch, capsys, db_url, "org", "import", str(f), "--commune", "Thiện Tân",
                             "--json")
    res = json.loads(out)
    assert res["people_created"] == 0 and res["units_created"] == 0
    async with db.session() as s:
        people = {p.name: p for p in (await s.exec(select(Person))).all()}
        units = {u.name: u for u in (await s.exec(select(Unit))).all()}
    assert set(people) == {"Trần Thị Lan", "Lò Văn Minh"}  # nothing of a bad row is written
    assert "Thôn Mới" not in units
    assert people["Lò Văn Minh"].phone == "0987654321" and people["Trần Thị Lan"].role == "lead"
    assert units["Thôn Nà Pài"].kind == "village"
    # The plan's spelling "Phòng Văn hóa - Xã hội" matches the org list's "Phòng Văn hoá – Xã hội".
    code, out, _ = await cli(monkeypatch, capsys, db_url, "invite", "create", "--unit", "Phòng Văn hóa - Xã hội",
                             "--role", "officer", "--uses", "3", "--json")
    assert code == 0
    inv = json.loads(out)
    assert len(inv["code"]) == 8 and inv["uses"] == 3 and inv["role"] == "officer"
    code, _, err = await cli(monkeypatch, capsys, db_url, "invite", "create", "--unit", "Không có", "--role",
                             "member")
    assert code == 2 and "no unit" in err


async def test_org_import_names_a_row_with_an_unquoted_comma(monkeypatch, capsys, db_url: str, db: Database,  # noqa: ANN001
                                                               tmp_path: Path) -> None:
    """A ward's "Phòng Kinh tế, Hạ tầng và Đô thị" typed without quotes: the sniffer gives up on such a file; the
    header's delimiter is used, the other rows import and that row is named with what to do."""
    f = tmp_path / "org.csv"
    f.write_text("Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò\n"
                 "Phòng Văn hóa - Xã hội,office,,Trần Thị Lan,0912345678,lead\n"
                 "Phòng Kinh tế, Hạ tầng và Đô thị,office,,Lê Văn An,0912000001,officer\n"
                 "\"Phòng Kinh tế, Hạ tầng và Đô thị\",office,,Lê Văn Bình,0912000002,officer\n"
                 "Tổ dân phố 1,village,,Lò Văn Minh,0987654321,member\n", encoding="utf-8")
    code, out, err = await cli(monkeypatch, capsys, db_url, "org", "import", str(f), "--commune", "Phường Bắc Kạn",
                               "--json")
    assert code == 1
    res = json.loads(out)
    assert res["people_created"] == 3 and res["units_created"] == 3, res
    assert res["errors"] == ["row 3: 7 cells where the header has 6; a name that contains a comma must be in quotes "
                             "(\"Phòng Kinh tế, Hạ tầng và Đô thị\"), or save the list as .xlsx"], res
    async with db.session() as s:
        units = {u.name for u in (await s.exec(select(Unit))).all()}
        people = {p.name for p in (await s.exec(select(Person))).all()}
    assert "Phòng Kinh tế, Hạ tầng và Đô thị" in units and "Phòng Kinh tế" not in units
    assert people == {"Trần Thị Lan", "Lê Văn Bình", "Lò Văn Minh"}  # nothing of the bad row is written


async def test_org_import_unreadable(monkeypatch, capsys, db_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    f = tmp_path / "org.csv"
    f.write_bytes(b"\xff\xfe\x00bad")
    code, _, err = await cli(monkeypatch, capsys, db_url, "org", "import", str(f), "--commune", "X")
    assert code == 2 and err.startswith("error:") and "Traceback" not in err
