"""Shared indicators across different plans (issue #19): a province list of six national targets, the
two seed plans of Vĩnh Thông and Tiêu Cần word them differently; which pairs are suggested and which
are not, confirmation by CLI (audited), re-imports keeping it, the migration down and up."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlmodel import select

from storage.db import Database
from storage.indicator_match import Scorer, features
from tests.first_month_support import cli
from tests.migration_support import downgrade_to

DATA = Path(__file__).parent / "data"
LIST = DATA / "shared" / "chi-tieu-tinh.csv"
SEED_A, SEED_B = DATA / "seeds" / "000_fbe0021516ef53e6.txt", DATA / "seeds" / "001_1c5d8a20ce423d5c.txt"
PROVINCE, A, B = "Thái Nguyên", "Vĩnh Thông", "Tiêu Cần"
# The pairs a person reading both plans would make; Tiêu Cần has no online-payment indicator (CT3) and
# Vĩnh Thông's coverage target is 4G, not the province's 5G (CT6).
TRUE_PAIRS = {(f"{A}:12", "CT1"), (f"{B}:V.4", "CT1"), (f"{A}:11", "CT2"), (f"{B}:V.1", "CT2"),
              (f"{A}:15", "CT3"), (f"{A}:16", "CT4"), (f"{B}:V.17", "CT4"), (f"{A}:17", "CT5"),
              (f"{B}:V.18", "CT5"), (f"{B}:III.1", "CT6")}


async def _setup(monkeypatch, capsys, db_url: str) -> None:  # noqa: ANN001
    for seed, commune in ((SEED_A, A), (SEED_B, B)):
        await cli(monkeypatch, capsys, db_url, "plan", "import", str(seed), "--commune", commune)
        await cli(monkeypatch, capsys, db_url, "province", "set", "--commune", commune, "--province", PROVINCE)
    out = await cli(monkeypatch, capsys, db_url, "province", "indicators", "import", str(LIST), "--province",
                    PROVINCE, "--json")
    assert json.loads(out)["created"] == ["CT1", "CT2", "CT3", "CT4", "CT5", "CT6"]


async def _match(monkeypatch, capsys, db_url: str, *more: str) -> dict:  # noqa: ANN001
    return json.loads(await cli(monkeypatch, capsys, db_url, "province", "indicators", "match", "--province",
                                PROVINCE, "--json", *more))


def _pairs(rows: list[dict]) -> set[tuple[str, str]]:
    return {(r["indicator"], r["province_code"]) for r in rows}


async def test_suggestions_confirmation_and_reimport(db: Database, db_url: str, monkeypatch, capsys,  # noqa: ANN001
                                                     tmp_path: Path) -> None:
    from storage.models import AuditLog, Indicator
    from storage.models_shared import IndicatorMatch

    await _setup(monkeypatch, capsys, db_url)
    out = json.loads(await cli(monkeypatch, capsys, db_url, "province", "indicators", "list", "--province",
                               PROVINCE, "--json"))
    assert [(r["code"], r["unit"], r["op"], r["value"]) for r in out][:2] == [("CT1", "%", ">=", 90),
                                                                              ("CT2", "%", "=", 100)]
    data = await _match(monkeypatch, capsys, db_url)
    assert _pairs(data["suggestions"]) == TRUE_PAIRS  # 17 + 90 indicators against 6 targets: these and no other
    got = {(r["indicator"], r["province_code"]): r["score"] for r in data["suggestions"]}
    assert got[(f"{A}:11", "CT2")] == got[(f"{B}:V.1", "CT2")] == 1.0  # worded alike in both plans
    not_suggested = {f"{A}:1", f"{B}:V.3", f"{B}:V.2", f"{A}:4", f"{B}:V.5", f"{A}:10", f"{A}:13"}
    assert not not_suggested & {r["indicator"] for r in data["suggestions"]}  # 4G; offered, not processed; …
    assert data["confirmed"] == []

    # The operator confirms one, rejects one (and by CLI names who): audited, with who and when.
    data = await _match(monkeypatch, capsys, db_url, "--confirm", f"{A}:12=CT1", "--reject", f"{B}:V.4=ct1",
                        "--by", "Nguyễn Văn Sở")
    assert _pairs(data["suggestions"]) == TRUE_PAIRS - {(f"{A}:12", "CT1"), (f"{B}:V.4", "CT1")}
    assert [(c["indicator"], c["province_code"], c["by"], c["score"]) for c in data["confirmed"]] == \
        [(f"{A}:12", "CT1", "cli:Nguyễn Văn Sở", got[(f"{A}:12", "CT1")])]  # the score as suggested
    # Everything at 0.9 or more with the same unit, in one go.
    data = await _match(monkeypatch, capsys, db_url, "--auto-above", "0.9")
    assert _pairs(data["done"]) == {(f"{A}:11", "CT2"), (f"{B}:V.1", "CT2"), (f"{A}:15", "CT3"),
                                    (f"{B}:V.17", "CT4"), (f"{A}:17", "CT5")}
    assert len(data["confirmed"]) == 6
    assert {c["by"] for c in data["confirmed"]} == {"cli:Nguyễn Văn Sở", "auto ≥ 0.9 (cli)"}
    async with db.session() as s:
        audit = (await s.exec(select(AuditLog).where(AuditLog.action.like("indicator.match.%")))).all()  # type: ignore[attr-defined]
        assert sorted(a.action for a in audit) == ["indicator.match.confirm"] * 6 + ["indicator.match.reject"]
        assert {a.detail["by"] for a in audit} == {"cli:Nguyễn Văn Sở", "auto ≥ 0.9 (cli)"}
        ind12 = (await s.exec(select(Indicator).where(Indicator.code == "12", Indicator.name.like("Hồ sơ%")))).one()  # type: ignore[attr-defined]

    # Re-importing the same plan keeps every decision (the indicator rows keep their identity: plan + code).
    await cli(monkeypatch, capsys, db_url, "plan", "import", str(SEED_A), "--commune", A)
    data = await _match(monkeypatch, capsys, db_url)
    assert (f"{A}:12", "CT1") in _pairs(data["confirmed"]) and len(data["confirmed"]) == 6
    assert (f"{B}:V.4", "CT1") not in _pairs(data["suggestions"])  # still rejected
    # A new version rewording indicator 12 keeps the match (flagged), one dropping indicator 17 loses its.
    text = SEED_A.read_text(encoding="utf-8")
    changed = tmp_path / SEED_A.name
    changed.write_text(text.replace("12.\tHồ sơ thủ tục hành chính xử lý trực tuyến",
                                    "12.\tHồ sơ TTHC được giải quyết trực tuyến")
                       .replace("17.\tCấp tài khoản định danh điện tử (VNeID) cho công dân có đủ điều kiện.\t%\t100"
                                "\tCông an xã\n", ""), encoding="utf-8")
    assert changed.read_text(encoding="utf-8") != text
    await cli(monkeypatch, capsys, db_url, "plan", "import", str(changed), "--commune", A, "--replace")
    data = await _match(monkeypatch, capsys, db_url)
    confirmed = {(c["indicator"], c["province_code"]): c for c in data["confirmed"]}
    assert (f"{A}:17", "CT5") not in confirmed and len(confirmed) == 5
    assert confirmed[(f"{A}:12", "CT1")]["renamed_since"] is True
    async with db.session() as s:
        rows = (await s.exec(select(IndicatorMatch).where(IndicatorMatch.indicator_id == ind12.id))).all()
        assert [(r.status, r.name_then) for r in rows] == [("confirmed", "Hồ sơ thủ tục hành chính xử lý trực tuyến")]


async def test_bad_input_gets_clear_errors(db: Database, db_url: str, monkeypatch, capsys,  # noqa: ANN001
                                           tmp_path: Path) -> None:
    from bot.cli import main

    await _setup(monkeypatch, capsys, db_url)
    empty = tmp_path / "trong.csv"
    empty.write_text("Họ tên,Số điện thoại\nAn,0912\n", encoding="utf-8")
    for args, says in (
            (["province", "indicators", "match", "--province", PROVINCE, "--confirm", f"{A}:99=CT1"], "no indicator"),
            (["province", "indicators", "match", "--province", PROVINCE, "--confirm", f"{A}:12=CT9"],
             "no province indicator"),
            (["province", "indicators", "match", "--province", PROVINCE, "--confirm", "12=CT1"], "COMMUNE:CODE"),
            (["province", "indicators", "match", "--province", PROVINCE, "--confirm", f"{A}:12"], "COMMUNE:CODE"),
            (["province", "indicators", "match", "--province", PROVINCE, "--auto-above", "5"], "between 0 and 1"),
            (["province", "indicators", "list", "--province", "Nowhere"], "no province"),
            (["province", "indicators", "import", str(empty), "--province", PROVINCE], "Cannot import trong.csv"),
    ):
        capsys.readouterr()
        code = await asyncio.to_thread(main, args)
        err = capsys.readouterr().err
        assert code != 0 and err.startswith("error: ") and says in err, (args, err)


async def test_list_reimport_and_add(db: Database, db_url: str, monkeypatch, capsys, tmp_path: Path) -> None:  # noqa: ANN001
    await _setup(monkeypatch, capsys, db_url)
    await _match(monkeypatch, capsys, db_url, "--confirm", f"{B}:III.1=CT6", "--confirm", f"{A}:17=CT5")
    shorter = tmp_path / "chi-tieu-tinh-2.csv"
    lines = LIST.read_text(encoding="utf-8").splitlines()
    shorter.write_text("\n".join(ln.replace("≥ 95", "≥ 98") for ln in lines if not ln.startswith("CT6")),
                       encoding="utf-8")
    out = json.loads(await cli(monkeypatch, capsys, db_url, "province", "indicators", "import", str(shorter),
                               "--province", PROVINCE, "--json"))
    assert (out["created"], out["updated"], out["removed"]) == ([], ["CT5"], ["CT6"])
    data = await _match(monkeypatch, capsys, db_url)
    assert _pairs(data["confirmed"]) == {(f"{A}:17", "CT5")}  # CT6's match went with it
    out = json.loads(await cli(monkeypatch, capsys, db_url, "province", "indicators", "add", "--province",
                               PROVINCE, "--code", "CT7", "--name", "Tỷ lệ phủ sóng 5G trên dân số", "--unit",
                               "%", "--target", "≥ 80", "--json"))
    assert (out["code"], out["op"], out["value"]) == ("CT7", ">=", 80)
    data = await _match(monkeypatch, capsys, db_url)
    assert (f"{B}:III.1", "CT7") in _pairs(data["suggestions"])


def test_scores_fold_expand_and_guard() -> None:
    names = ["Tỷ lệ hồ sơ TTHC được xử lý trực tuyến toàn trình", "tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến",
             "Tỷ lệ phủ sóng 4G", "Tỷ lệ phủ sóng 5G", "Số hộ gia đình có hồ sơ trực tuyến"]
    f = [features(n) for n in names]
    scorer = Scorer(f)
    assert scorer.score(f[0], f[1]) > 0.6  # TTHC spelled out, case and diacritics folded
    assert scorer.score(f[2], f[3]) < 0.35  # 4G is not 5G
    assert scorer.score(f[0], f[1], "%", "%") > scorer.score(f[0], f[1], "%", "hộ")  # units differ
    assert features("Cấp tài khoản VNeID").words >= {"dinh danh", "dien tu"}


async def test_migration_0015_down_and_up(db: Database, db_url: str, monkeypatch, capsys) -> None:  # noqa: ANN001

    from storage.models_shared import ProvinceIndicator

    await _setup(monkeypatch, capsys, db_url)
    await _match(monkeypatch, capsys, db_url, "--confirm", f"{A}:12=CT1")

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade_to, "0014_province_stream")
        tables = await conn.run_sync(lambda c: __import__("sqlalchemy").inspect(c).get_table_names())
    assert "provinceindicator" not in tables and "indicatormatch" not in tables
    await db.upgrade()
    async with db.session() as s:
        assert (await s.exec(select(ProvinceIndicator))).all() == []
    await _setup(monkeypatch, capsys, db_url)  # usable again
    data = await _match(monkeypatch, capsys, db_url, "--confirm", f"{A}:12=CT1")
    assert _pairs(data["confirmed"]) == {(f"{A}:12", "CT1")}


def test_the_list_is_read_from_a_spreadsheet_like_a_plan(tmp_path: Path) -> None:
    import csv

    from openpyxl import Workbook

    from storage.shared_indicators import read_province_list

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in csv.reader(LIST.read_text(encoding="utf-8").splitlines()):
        sheet.append(row)
    path = tmp_path / "chi-tieu-tinh.xlsx"
    book.save(path)
    got = read_province_list(path)
    assert [(i.code, i.unit, i.target.op, i.target.value) for i in got] == \
        [(i.code, i.unit, i.target.op, i.target.value) for i in read_province_list(LIST)]
    assert [i.code for i in got] == ["CT1", "CT2", "CT3", "CT4", "CT5", "CT6"] and got[4].name.endswith("VNeID")
