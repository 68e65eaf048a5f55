"""A sweep of several communes reads each kind of row once for all of them (``reminders.sweep_reads``): what it
plans for each commune is exactly what that commune's own sweep plans, in as many statements as one commune's. Two communes with the same offices and
names of units: a re-import that adds items after Phòng Kinh tế reported, in Hòa An only; a plan naming an office
nobody is listed in ("Trạm Y tế xã"), in Hòa Bình only; on the overdue day each lead's digest names its own."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from reminders.sweep import preview
from storage.db import Database
from storage.models import Commune
from tests.audit_support import import_commune, join_tg
from tests.first_month_support import Tg, at, cli
from tests.test_item_added import ADDED, HEAD, _report
from tests.zalo_harness import ZaloHarness

AN, BINH = "Hòa An", "Hòa Bình"
VHXH, PKT, CAX, TYT = "Phòng Văn hóa - Xã hội", "Phòng Kinh tế", "Công an xã", "Trạm Y tế xã"
PEOPLE = {AN: ((7101, VHXH, "Hoàng Văn Thái", "lead"), (7102, PKT, "Lý Văn Nam", "officer"),
               (7103, CAX, "Triệu Văn Sơn", "officer")),
          BINH: ((7201, VHXH, "Nông Thị Mai", "lead"), (7202, PKT, "Lò Văn Tâm", "officer"),
                 (7203, CAX, "Hà Văn Dũng", "officer"))}
HEAD_BINH = HEAD.replace("2\tXây dựng chợ số\tPhòng Kinh tế", f"2\tXây dựng chợ số\tPhòng Kinh tế\t\tQuý IV năm 2026\n"
                         f"3\tTiêm chủng số\t{TYT}")


def _org(commune: str, phone: int) -> str:
    rows = [f"{unit},office,,{name},09{phone + i:08d},{role}" for i, (_u, unit, name, role) in enumerate(PEOPLE[commune])]
    return "Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò\n" + "\n".join(rows) + "\n"


def _shape(statement: str) -> str:
    """A statement with its parameters (SQLite's ?, asyncpg's $1::TYPE) and IN lists of any length as one."""
    text = re.sub(r"\$\d+(::[A-Z]+(\[\])?)?", "?", " ".join(statement.split()))
    return re.sub(r"\(\?(, \?)*\)", "(?)", text)


async def _plans(both: ZaloHarness, when: str) -> tuple[list[Any], dict[str, list[Any]], dict[str, Counter[str]]]:
    """What a sweep of every commune plans at ``when``, what each commune's own sweep plans, and the statements
    each of these sent, by shape ("" for every commune)."""
    assert both.bot is not None
    sent: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        sent[_shape(statement)] += 1

    engine = both.bot.db.engine.sync_engine
    statements: dict[str, Counter[str]] = {}
    async with both.bot.db.session() as s:
        communes = (await s.exec(select(Commune))).all()
        event.listen(engine, "before_cursor_execute", count)
        try:
            every = await preview(s, both.bot.services, at(when))
            statements[""] = Counter(sent)
            alone = {}
            for c in communes:
                sent.clear()
                alone[c.name] = await preview(s, both.bot.services, at(when), c)
                statements[c.name] = Counter(sent)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return every, alone, statements


def _more_than_alone(statements: dict[str, Counter[str]]) -> list[str]:
    """The statements the sweep of every commune sends more often than the commune's own sweep that sends them
    most, but for the lists of communes, stream settings and provinces only that sweep reads whole."""
    return [shape for shape, n in statements[""].items() if n > max(statements[AN][shape], statements[BINH][shape])
            and not shape.startswith(("SELECT commune.", "SELECT streamsetting.", "SELECT province."))]


async def test_each_commune_planned_as_if_swept_alone(
        both: ZaloHarness, db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: Any) -> None:
    tg = Tg(both)
    codes = {}
    for commune, plan, phone in ((AN, HEAD, 16000001), (BINH, HEAD_BINH, 17000001)):
        codes[commune] = (await import_commune(monkeypatch, capsys, db_url, tmp_path, commune, _org(commune, phone),
                                               plan, tuple((unit, role) for _u, unit, _n, role in PEOPLE[commune]))).codes
    both.now = at("2026-12-01T09:00+07:00")
    for commune, people in PEOPLE.items():
        for user, unit, name, _role in people:
            await join_tg(tg, user, codes[commune][unit], name)
    both.now = at("2026-12-15T09:00+07:00")  # both communes' Phòng Kinh tế report December
    assert "đúng hạn" in await _report(tg, 7102, 3, ["đang thực hiện", "hoàn thành", "85"])
    assert "đúng hạn" in await _report(tg, 7202, 3, ["đang thực hiện", "hoàn thành", "85"])
    (tmp_path / "plan2.txt").write_text(HEAD + ADDED, encoding="utf-8")  # Hòa An's plan grows on 17/12
    out = await cli(monkeypatch, capsys, db_url, "plan", "import", str(tmp_path / "plan2.txt"), "--commune", AN,
                    "--year", "2026", "--at", "2026-12-17T09:00+07:00")
    assert "2 added, 0 changed, 0 removed" in out, out

    every, alone, statements = await _plans(both, "2026-12-18T08:00+07:00")
    assert sorted(every, key=lambda p: p.key) == sorted(alone[AN] + alone[BINH], key=lambda p: p.key)
    assert _more_than_alone(statements) == []  # each kind of row read once for both communes
    assert {(p.person, p.items) for p in every if p.stage == "new_items"} == {("Lý Văn Nam", ("3", "4"))}
    assert {p.person for p in alone[BINH] if p.stream == "unit_monthly"} == {"Nông Thị Mai", "Hà Văn Dũng"}

    every, alone, statements = await _plans(both, "2026-12-21T08:00+07:00")  # Monday after the deadline: the digests
    assert sorted(every, key=lambda p: p.key) == sorted(alone[AN] + alone[BINH], key=lambda p: p.key)
    assert _more_than_alone(statements) == []
    digests = {p.person: p for p in every if p.stream == "unit_monthly" and p.stage == "digest"}
    assert set(digests) == {"Hoàng Văn Thái", "Nông Thị Mai"}
    assert (digests["Hoàng Văn Thái"].missing, digests["Hoàng Văn Thái"].unlisted) == ((CAX, VHXH), ())
    assert (digests["Nông Thị Mai"].missing, digests["Nông Thị Mai"].unlisted) == ((CAX, VHXH, TYT), (TYT,))
