"""Migration 0004 on a database that has twins and a unit spelled two ways (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlmodel import select

from storage.db import Database, alembic_config
from storage.models import ActivityLog, AuditLog, Identity, Invite, Person, Report, ReportItem, TaskUnit, Unit
from tests.migration_support import downgrade_to

T0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def _before_0004() -> str:
    script = ScriptDirectory.from_config(alembic_config()).get_revision("0004_person_merge")
    assert script is not None and isinstance(script.down_revision, str)
    return script.down_revision


def _type(value: Any) -> sa.types.TypeEngine[Any]:
    if isinstance(value, datetime):
        return sa.DateTime(timezone=True)
    if isinstance(value, date):
        return sa.Date()
    if isinstance(value, dict):
        return sa.JSON()
    if isinstance(value, bool):
        return sa.Boolean()
    return sa.Integer() if isinstance(value, int) else sa.String()


def _ins(conn: Connection, table: str, **values: Any) -> int | None:
    """Insert with the columns of the schema as it was before 0004 (no models: they follow head)."""
    t = sa.table(table, *[sa.column(k, _type(v)) for k, v in values.items()])
    if "id" in values or table in ("taskunit", "invite", "linkcode", "reminderlog"):
        conn.execute(sa.insert(t).values(**values))
        return values.get("id")
    t.append_column(sa.column("id", sa.Integer()))
    return conn.execute(sa.insert(t).values(**values).returning(t.c.id)).scalar_one()


def _person(conn: Connection, commune: int, unit: int, name: str, *, phone: str | None = None,
            role: str = "member", consent: bool = False, anonymised: bool = False) -> int:
    pid = _ins(conn, "person", commune_id=commune, unit_id=unit, name=name, role=role, locale="vi",
               weekend_reminders=False, created_at=T0, **({"phone": phone} if phone else {}),
               **({"consent_at": T0, "consent_version": "2026-01"} if consent else {}),
               **({"anonymised_at": T0} if anonymised else {}))
    assert pid is not None
    return pid


def _identity(conn: Connection, pid: int, channel: str, user: str) -> None:
    _ins(conn, "identity", person_id=pid, channel=channel, external_id=user, chat_id=user, created_at=T0,
         last_seen_at=T0)


def _seed(conn: Connection) -> dict[str, int]:
    ids: dict[str, int] = {}
    c = ids["commune"] = _ins(conn, "commune", name="Thiện Tân", key="thiện tân", created_at=T0)  # type: ignore[assignment]
    ids["u1"] = _ins(conn, "unit", commune_id=c, name="Phòng Văn hóa - Xã hội", key="phòng văn hóa - xã hội",
                     kind="office")  # type: ignore[assignment]
    # Created by an older normaliser that kept the old tone mark and the en dash in the key.
    ids["u2"] = _ins(conn, "unit", commune_id=c, name="Phòng Văn hoá – Xã hội", key="phòng văn hoá – xã hội",
                     kind="office")  # type: ignore[assignment]
    v = ids["v"] = _ins(conn, "unit", commune_id=c, name="Thôn Nà Pài", key="thôn nà pài", kind="village")  # type: ignore[assignment]
    plan = _ins(conn, "plan", commune_id=c, title="KH", key="kh", year=2026, imported_at=T0)
    for n in (1, 2):
        ids[f"t{n}"] = _ins(conn, "task", plan_id=plan, position=n, code=str(n), title=f"Nhiệm vụ {n}",
                            due_text="", due_recurring=False, due_kind="none")  # type: ignore[assignment]
    _ins(conn, "taskunit", task_id=ids["t1"], unit_id=ids["u2"], role="lead", position=0)
    _ins(conn, "taskunit", task_id=ids["t2"], unit_id=ids["u1"], role="lead", position=0)
    _ins(conn, "taskunit", task_id=ids["t2"], unit_id=ids["u2"], role="partner", position=1)

    ids["lead_listed"] = _person(conn, c, ids["u1"], "Hoàng Văn Thái", phone="0912000001", role="lead")
    ids["lead_joined"] = _person(conn, c, ids["u2"], "Hoàng Văn Thái", role="lead", consent=True)
    _identity(conn, ids["lead_joined"], "telegram", "7002")
    _ins(conn, "invite", code="ABCD2345", commune_id=c, unit_id=ids["u2"], role="member", uses_left=3,
         expires_at=datetime(2027, 1, 1, tzinfo=UTC), created_by=ids["lead_joined"], created_at=T0)

    ids["bich_listed"] = _person(conn, c, v, "Lò Thị Bích", phone="0912000002")
    ids["bich_joined"] = _person(conn, c, v, "Lo Thi Bich", consent=True)
    _identity(conn, ids["bich_joined"], "zalo", "6ede9afa66b88fe6d6a9")
    for day, count in ((3, 12), (4, 5)):
        _ins(conn, "activitylog", commune_id=c, unit_id=v, person_id=ids["bich_joined"],
             on_date=date(2026, 11, day), activity="vneid", count=count, created_at=T0)
    _ins(conn, "reminderlog", key=f"village_monthly:2026-11:{ids['bich_joined']}:before_1d",
         person_id=ids["bich_joined"], stream="village_monthly", period="2026-11", stage="before_1d",
         created_at=T0)
    _ins(conn, "auditlog", at=T0, actor_person_id=ids["bich_joined"], action="join",
         target="zalo:6ede9afa66b88fe6d6a9", detail={"via": "invite"})

    ids["hung"] = _person(conn, c, v, "Đinh Văn Hùng", phone="0912000003")  # two people, not twins
    ids["hung2"] = _person(conn, c, v, "Đinh Văn Hưng", phone="0912000004")
    ids["tung1"] = _person(conn, c, v, "Hà Văn Tùng", consent=True)  # namesakes who both joined
    ids["tung2"] = _person(conn, c, v, "Hà Văn Tùng", consent=True)
    _identity(conn, ids["tung1"], "telegram", "31")
    _identity(conn, ids["tung2"], "telegram", "32")
    ids["mother"] = _person(conn, c, v, "Lò Thị Mai", phone="0912000009")  # a family sharing a phone
    ids["son"] = _person(conn, c, v, "Lò Văn Nam", phone="0912000009")
    ids["gone"] = _person(conn, c, v, "Lò Thị Bích", anonymised=True)

    period = _ins(conn, "reportingperiod", commune_id=c, stream="unit_monthly", key="2026-11",
                  start=date(2026, 10, 15), end=date(2026, 11, 14), due=datetime(2026, 11, 19, 17, tzinfo=UTC))
    ids["r1"] = _ins(conn, "report", period_id=period, unit_id=ids["u1"], status="submitted",
                     submitted_at=datetime(2026, 11, 15, 3, tzinfo=UTC), late=False, revision=1)  # type: ignore[assignment]
    _ins(conn, "reportitem", report_id=ids["r1"], kind="task", ref_id=ids["t2"], status="in_progress")
    ids["r2"] = _ins(conn, "report", period_id=period, unit_id=ids["u2"], person_id=ids["lead_joined"],
                     status="submitted", submitted_at=datetime(2026, 11, 18, 3, tzinfo=UTC), late=False,
                     revision=1)  # type: ignore[assignment]
    _ins(conn, "reportitem", report_id=ids["r2"], kind="task", ref_id=ids["t1"], status="done")
    return ids


async def test_migration_merges_twins_and_units(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade_to, _before_0004())
        ids = await conn.run_sync(_seed)
    await db.upgrade()

    async with db.session() as s:
        units = {u.id: u for u in (await s.exec(select(Unit))).all()}
        people = {p.id: p for p in (await s.exec(select(Person))).all()}
        idents = {(i.channel, i.external_id): i.person_id for i in (await s.exec(select(Identity))).all()}
        links = sorted((t.task_id, t.unit_id, t.role) for t in (await s.exec(select(TaskUnit))).all())
        reports = (await s.exec(select(Report))).all()
        items = (await s.exec(select(ReportItem))).all()
        logs = (await s.exec(select(ActivityLog))).all()
        invite = await s.get(Invite, "ABCD2345")
        audit = (await s.exec(select(AuditLog).order_by(AuditLog.id))).all()
        reminded = (await s.exec(sa.text("SELECT person_id, key FROM reminderlog"))).all()  # type: ignore[call-overload]

    assert sorted(units) == sorted([ids["u1"], ids["v"]])
    assert units[ids["u1"]].key == "phòng văn hóa - xã hội"
    assert links == sorted([(ids["t1"], ids["u1"], "lead"), (ids["t2"], ids["u1"], "lead")])
    # One report for the period stays: the later one, now the unit's; the earlier one is in the audit.
    assert [(r.id, r.unit_id, r.person_id) for r in reports] == [(ids["r2"], ids["u1"], ids["lead_listed"])]
    assert [(i.report_id, i.status) for i in items] == [(ids["r2"], "done")]
    unit_merge = next(a for a in audit if a.action == "unit.merge")
    assert unit_merge.detail["dropped"] == ids["u2"]
    assert unit_merge.detail["conflicting_reports"][0]["report"] == ids["r1"]
    assert unit_merge.detail["conflicting_reports"][0]["items"][0]["status"] == "in_progress"

    gone = {ids["lead_joined"], ids["bich_joined"]}
    assert set(people) == {ids[k] for k in ("lead_listed", "bich_listed", "hung", "hung2", "tung1", "tung2",
                                            "mother", "son", "gone")}
    assert not gone & set(people)
    lead, bich = people[ids["lead_listed"]], people[ids["bich_listed"]]
    assert (lead.unit_id, lead.phone, lead.role, lead.name) == (ids["u1"], "0912000001", "lead", "Hoàng Văn Thái")
    assert lead.consent_at is not None and bich.consent_at is not None and bich.phone == "0912000002"
    assert idents[("telegram", "7002")] == ids["lead_listed"]
    assert idents[("zalo", "6ede9afa66b88fe6d6a9")] == ids["bich_listed"]
    assert idents[("telegram", "31")] == ids["tung1"] and idents[("telegram", "32")] == ids["tung2"]
    assert sorted((lg.person_id, lg.count) for lg in logs) == [(ids["bich_listed"], 5), (ids["bich_listed"], 12)]
    assert invite is not None and invite.created_by == ids["lead_listed"] and invite.unit_id == ids["u1"]
    assert [tuple(r) for r in reminded] == [(ids["bich_listed"], f"village_monthly:2026-11:{ids['bich_listed']}:before_1d")]
    join = next(a for a in audit if a.action == "join")
    assert join.actor_person_id == ids["bich_listed"]
    merges = {a.detail["dropped"]: a for a in audit if a.action == "person.merge"}
    assert set(merges) == gone
    assert merges[ids["bich_joined"]].target == f"person:{ids['bich_listed']}"
    assert merges[ids["bich_joined"]].detail["moved"]["activitylog.person_id"] == 2
