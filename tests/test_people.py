"""One record per human, one unit per unit: listed people joining on Telegram and Zalo, names,
spelling variants of units, anonymise by phone, person merge (CLI), invite privileges, restore."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.cli import main
from storage.db import Database
from storage.models import (
    ActivityLog,
    AuditLog,
    ConversationState,
    Identity,
    Invite,
    LinkCode,
    Person,
    Task,
    TaskUnit,
    Unit,
)
from tests.harness import TelegramHarness
from tests.seed import add_person, make_org
from tests.zalo_harness import ZaloHarness, add_zalo_identity, vi

TG_BICH, TG_LEAD, TG_ADMIN = 6101, 6102, 6103
ZALO_HUNG, ZALO_NEW = "6ede9afa66b88fe6d6a9", "0a1b2c3d4e5f60718293"

ORG_CSV = """Đơn vị,Loại,Trực thuộc,Họ tên,Số điện thoại,Vai trò
Phòng Văn hóa - Xã hội,office,,Hoàng Văn Thái,0912000001,lead
Thôn Nà Pài,village,,Lò Thị Bích,0912000002,member
Thôn Nà Pài,village,,Đinh Văn Hùng,0912000003,member
Thôn Nà Pài,village,,Đinh Văn Hưng,0912000004,member
"""

PLAN_TXT = """KẾ HOẠCH
Thực hiện Nghị quyết số 57-NQ/TW trên địa bàn xã Thiện Tân năm 2026

Nhóm 1: Nâng cao nhận thức

1.1. Nội dung trọng tâm và thời hạn

- Nhiệm vụ 1: Tuyên truyền về chuyển đổi số trên các nền tảng số của xã.

Thời gian hoàn thành: Thực hiện thường xuyên.

Cơ quan, đơn vị thực hiện: Phòng Văn hoá – Xã hội xã Thiện Tân.

- Nhiệm vụ 2: Tổ chức lớp tập huấn kỹ năng số cho Tổ công nghệ số cộng đồng.

Thời gian hoàn thành: Quý II năm 2026.

Cơ quan, đơn vị thực hiện: PHÒNG VĂN HOÁ-XÃ HỘI chủ trì, phối hợp với Thôn Nà Pài.

1.2. Kết quả cần đạt

- 100% cán bộ, công chức được tập huấn kỹ năng số.
"""


async def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str,
              *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    code = await asyncio.to_thread(main, list(args))
    out = capsys.readouterr()
    return code, out.out, out.err




async def _org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, db_url: str) -> str:
    """Org list imported through the CLI; returns a 10-use member invite code for Thôn Nà Pài."""
    (tmp_path / "org.csv").write_text(ORG_CSV, encoding="utf-8")
    code, out, err = await cli(monkeypatch, capsys, db_url, "org", "import", str(tmp_path / "org.csv"),
                               "--commune", "Thiện Tân")
    assert code == 0 and "4 new people" in out, err
    code, out, err = await cli(monkeypatch, capsys, db_url, "invite", "create", "--unit", "thôn nà pài",
                               "--role", "member", "--uses", "10", "--days", "60", "--json")
    assert code == 0, err
    return json.loads(out)["code"]


async def _people(db: Database) -> dict[str, Person]:
    async with db.session() as s:
        return {p.name: p for p in (await s.exec(select(Person))).all()}


async def _preview(both: ZaloHarness) -> list[dict[str, Any]]:
    from reminders.sweep import preview

    assert both.bot is not None
    async with both.bot.db.session() as s:
        return [p.as_json() for p in await preview(s, both.bot.services,
                                                   datetime.fromisoformat("2026-12-17T08:00+07:00"))]


async def test_listed_people_join_as_themselves(both: ZaloHarness, db: Database, db_url: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    code = await _org(tmp_path, monkeypatch, capsys, db_url)
    listed = await _people(db)
    assert len(listed) == 4

    # Telegram: the deep link, the name from the profile, the question "is that you?".
    sent = await both.tg_say(TG_BICH, f"/start {code}", first_name="Lò Thị Bích")
    both.tg_fake.queue(both.tg_fake.callback(TG_BICH, "__display__", message_id=sent[0].message_id))
    await both.tg_fake.wait_for_sent(1)
    sent = both.tg_fake.take_sent()
    assert vi("{unit}'s list has someone with this name. Are you {name}, {unit}?", unit="Thôn Nà Pài",
              name="Lò Thị Bích") in sent[0].text
    assert sent[0].callback_data == [str(listed["Lò Thị Bích"].id), "new"]
    both.tg_fake.queue(both.tg_fake.callback(TG_BICH, str(listed["Lò Thị Bích"].id),
                                             message_id=sent[0].message_id))
    await both.tg_fake.wait_for_sent(1)
    sent = both.tg_fake.take_sent()
    assert sent[0].callback_data == ["yes", "no"]
    both.tg_fake.queue(both.tg_fake.callback(TG_BICH, "yes", message_id=sent[0].message_id))
    await both.tg_fake.wait_for_sent(2)
    sent = both.tg_fake.take_sent()
    assert vi("Welcome, {name}! You are now registered with {unit}.", name="Lò Thị Bích",
              unit="Thôn Nà Pài") in sent[0].text

    # Zalo: "đồng ý" typed at the name question is not a name; a name without diacritics and with a
    # typo finds both Đinh Văn Hùng and Đinh Văn Hưng on the list, and "1" picks the first.
    await both.say(ZALO_HUNG, code)
    sent = await both.say(ZALO_HUNG, "đồng ý")
    assert vi("“{text}” does not look like a name. Please write your full name, e.g. Nguyễn Văn An.",
              text="đồng ý") in sent[0]["text"]
    for not_a_name in ("ok", "Có", "12", "khong"):
        sent = await both.say(ZALO_HUNG, not_a_name)
        assert "Nguyễn Văn An" in sent[0]["text"], not_a_name
    sent = await both.say(ZALO_HUNG, "dinh van hungg")
    assert vi("{unit}'s list has several people with a name like this. Which one are you?",
              unit="Thôn Nà Pài") in sent[0]["text"]
    assert "1. Đinh Văn Hùng" in sent[0]["text"] and "2. Đinh Văn Hưng" in sent[0]["text"]
    assert vi("None of these") in sent[0]["text"]
    sent = await both.say(ZALO_HUNG, "7")  # not an option: asked again
    assert "Đinh Văn Hùng" in sent[0]["text"]
    await both.say(ZALO_HUNG, "1")
    sent = await both.say(ZALO_HUNG, "1", expect=2)
    assert vi("Welcome, {name}! You are now registered with {unit}.", name="Đinh Văn Hùng",
              unit="Thôn Nà Pài") in sent[0]["text"]

    # Someone else with a similar name says "none of these" and becomes a new member.
    await both.say(ZALO_NEW, code)
    sent = await both.say(ZALO_NEW, "Lo Thi Bich")  # Bích has joined already: not offered again
    assert "Lò Thị Bích" not in sent[0]["text"] and vi("I agree") in sent[0]["text"]  # straight to consent
    await both.say(ZALO_NEW, "/huy")
    await both.say(ZALO_NEW, code)
    sent = await both.say(ZALO_NEW, "Dinh Van Hung")  # Hùng has joined: only Hưng is left to ask about
    assert vi("{unit}'s list has someone with this name. Are you {name}, {unit}?", unit="Thôn Nà Pài",
              name="Đinh Văn Hưng") in sent[0]["text"]
    sent = await both.say(ZALO_NEW, "khong, toi la nguoi khac")  # the label typed without diacritics
    assert vi("I agree") in sent[0]["text"]
    await both.say(ZALO_NEW, "1", expect=2)

    people = await _people(db)
    assert len(people) == 5 and "Dinh Van Hung" in people  # the one new human, nobody twice
    async with db.session() as s:
        idents = {(i.channel, i.person_id) for i in (await s.exec(select(Identity))).all()}
        inv = await s.get(Invite, code)
    assert idents == {("telegram", listed["Lò Thị Bích"].id), ("zalo", listed["Đinh Văn Hùng"].id),
                      ("zalo", people["Dinh Van Hung"].id)}
    assert people["Lò Thị Bích"].phone == "0912000002" and people["Lò Thị Bích"].consent_at is not None
    assert inv is not None and inv.uses_left == 7

    rows = await _preview(both)
    village = [(r["person"], r["channel"]) for r in rows if r["stream"] == "village_monthly"]
    assert village.count(("Lò Thị Bích", "telegram")) == 1
    assert [r for r in village if r[0] == "Lò Thị Bích"] == [("Lò Thị Bích", "telegram")]
    assert [r for r in village if r[0] == "Đinh Văn Hùng"] == [("Đinh Văn Hùng", "zalo")]


async def test_shared_contact_during_join_is_the_listed_person(tg: TelegramHarness, db: Database, db_url: str,
                                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: Any) -> None:
    code = await _org(tmp_path, monkeypatch, capsys, db_url)
    await tg.say(TG_BICH, code)
    sent = await tg.send(tg.fake.contact(TG_BICH, "+84912000003"))  # Hùng's phone: no question needed
    assert sent[0].callback_data == ["yes", "no"]
    sent = await tg.tap(TG_BICH, "yes", expect=2)
    assert "Đinh Văn Hùng" in sent[0].text
    people = await _people(db)
    assert len(people) == 4
    async with db.session() as s:
        ident = (await s.exec(select(Identity))).one()
    assert ident.person_id == people["Đinh Văn Hùng"].id


async def test_unit_spelling_variants_are_one_unit(db: Database, db_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    await _org(tmp_path, monkeypatch, capsys, db_url)
    (tmp_path / "plan.txt").write_text(PLAN_TXT, encoding="utf-8")
    code, out, err = await cli(monkeypatch, capsys, db_url, "plan", "import", str(tmp_path / "plan.txt"),
                               "--commune", "xã Thiện Tân", "--year", "2026")
    assert code == 0, err
    more = tmp_path / "org2.csv"  # the same list again, spelled differently
    more.write_text("unit,kind,name,phone\nPhòng Văn hoá – Xã hội xã Thiện Tân,office,Hoàng Văn Thái,\n"
                    "  phòng văn hoá-xã hội  ,office,,\nPhòng VH-XH,office,Trần Thị Lan,0912000009\n",
                    encoding="utf-8")
    code, out, err = await cli(monkeypatch, capsys, db_url, "org", "import", str(more), "--commune", "Thiện Tân")
    assert code == 0 and "0 new units" in out, out + err
    for spelling in ("PHÒNG VĂN HOÁ — XÃ HỘI", "Phòng Văn hóa, Xã hội"):
        code, out, err = await cli(monkeypatch, capsys, db_url, "invite", "create", "--unit", spelling,
                                   "--role", "officer", "--json")
        assert code == 0, err
        assert json.loads(out)["unit"] == "Phòng Văn hóa - Xã hội"
    async with db.session() as s:
        units = [u for u in (await s.exec(select(Unit))).all() if "xã hội" in u.name.lower()]
        assert len(units) == 1
        vhxh = units[0]
        tasks = (await s.exec(select(Task.code).join(TaskUnit).where(
            TaskUnit.unit_id == vhxh.id, TaskUnit.role == "lead"))).all()
        people = (await s.exec(select(Person).where(Person.unit_id == vhxh.id))).all()
    assert len(tasks) == 2
    assert sorted(p.name for p in people) == ["Hoàng Văn Thái", "Trần Thị Lan"]


async def _twins(db: Database) -> dict[str, int]:
    """The state the bug left behind: a listed record with a phone, and the record that joined."""
    org = await make_org(db)
    listed = await add_person(db, org["napai"], "Lò Thị Bích", "member", phone="0912000002")
    joined = await add_person(db, org["napai"], "Lo Thi Bich", "member", telegram_id=TG_BICH)
    await add_zalo_identity(db, joined, ZALO_HUNG)
    async with db.transaction() as s:
        s.add(ActivityLog(commune_id=org["commune"], unit_id=org["napai"], person_id=joined,
                          on_date=date(2026, 12, 1), activity="vneid", count=12))
        s.add(LinkCode(code="ABC234", person_id=joined, expires_at=datetime(2030, 1, 1, tzinfo=UTC)))
        s.add(AuditLog(actor_person_id=joined, action="join", target=f"telegram:{TG_BICH}", detail={}))
        s.add(ConversationState(channel="telegram", chat_id=str(TG_BICH), flow="log", step="count", data={}))
    return {"listed": listed, "joined": joined, **org}


async def test_anonymise_by_phone_covers_every_record_and_identity(db: Database, db_url: str,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: Any) -> None:
    ids = await _twins(db)
    code, out, err = await cli(monkeypatch, capsys, db_url, "person", "anonymise", "--phone", "0912 000 002")
    assert code == 0, err
    assert f"merged person #{ids['joined']} into #{ids['listed']}" in out
    async with db.session() as s:
        people = (await s.exec(select(Person))).all()
        assert [(p.id, p.phone) for p in people] == [(ids["listed"], None)]
        assert "Bích" not in people[0].name and "Bich" not in people[0].name and people[0].anonymised_at
        assert (await s.exec(select(Identity))).all() == []
        assert (await s.exec(select(LinkCode))).all() == []
        assert (await s.exec(select(ConversationState))).all() == []
        log = (await s.exec(select(ActivityLog))).one()
        assert log.person_id == ids["listed"] and log.count == 12  # the work stays counted
        targets = [a.target for a in (await s.exec(select(AuditLog))).all()]
    assert f"telegram:{TG_BICH}" not in targets and f"person:{ids['listed']}" in targets
    async with db.session() as s:
        actions = {a.action for a in (await s.exec(select(AuditLog))).all()}
    assert {"person.merge", "person.anonymise"} <= actions

    code, _out, err = await cli(monkeypatch, capsys, db_url, "person", "anonymise", "--phone", "0912000002")
    assert code == 2 and "no person" in err


async def test_anonymise_refuses_to_guess_between_different_people(db: Database, db_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: Any) -> None:
    org = await make_org(db)
    await add_person(db, org["napai"], "Lò Thị Bích", "member", phone="0912000002", telegram_id=1)
    await add_person(db, org["khuoi"], "Hà Văn Tùng", "member", phone="0912000002", telegram_id=2)
    code, _out, err = await cli(monkeypatch, capsys, db_url, "person", "anonymise", "--phone", "0912000002")
    assert code == 2 and "several people match" in err and "Hà Văn Tùng" in err
    async with db.session() as s:
        assert len((await s.exec(select(Identity))).all()) == 2


async def test_cli_merge_dry_run_then_merge(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch,
                                           capsys: Any) -> None:
    ids = await _twins(db)
    code, out, err = await cli(monkeypatch, capsys, db_url, "person", "merge", "--keep", str(ids["listed"]),
                               "--drop", str(ids["joined"]), "--dry-run")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["dry_run"] and plan["drop"][0]["identities"] == [f"telegram:{TG_BICH}", f"zalo:{ZALO_HUNG}"]
    assert plan["drop"][0]["rows"]["activitylog.person_id"] == 1
    assert len(await _people(db)) == 2  # nothing changed
    code, out, err = await cli(monkeypatch, capsys, db_url, "person", "merge", "--phone", "0912000002")
    assert code == 0, err
    people = await _people(db)
    assert list(people) == ["Lò Thị Bích"] and people["Lò Thị Bích"].consent_at is not None
    async with db.session() as s:
        assert {i.person_id for i in (await s.exec(select(Identity))).all()} == {ids["listed"]}
        audit = (await s.exec(select(AuditLog).where(AuditLog.action == "person.merge"))).one()
    assert audit.target == f"person:{ids['listed']}" and audit.detail["dropped"] == ids["joined"]
    assert audit.detail["moved"]["identity.person_id"] == 2


async def test_only_the_admin_mints_lead_invites_and_only_for_offices(
        tg: TelegramHarness, db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    org = await make_org(db)
    await add_person(db, org["vhxh"], "Hoàng Văn Thái", "lead", telegram_id=TG_LEAD)
    await add_person(db, org["vhxh"], "Quản Trị", "admin", telegram_id=TG_ADMIN)
    sent = await tg.say(TG_LEAD, "/moi")
    labels = sent[0].buttons[0] + [b for row in sent[0].buttons[1:] for b in row]
    village = str(labels.index("Thôn Nà Pài") + 1)
    office = str(labels.index("Trung tâm Phục vụ hành chính công") + 1)
    sent = await tg.say(TG_LEAD, village)
    assert sent[0].callback_data == ["member"]
    sent = await tg.say(TG_LEAD, "cơ quan đầu mối")  # the lead office role, typed
    assert vi("Sorry, only the administrator can create invites for the lead office, and only for an office. "
              "Please pick one of the roles below.") in sent[0].text
    await tg.say(TG_LEAD, "/huy")
    await tg.say(TG_LEAD, "/moi")
    sent = await tg.say(TG_LEAD, office)
    assert sent[0].callback_data == ["officer"]
    sent = await tg.say(TG_LEAD, "1")
    assert "Trung tâm Phục vụ hành chính công" in sent[0].text

    await tg.say(TG_ADMIN, "/moi")
    sent = await tg.say(TG_ADMIN, village)
    assert sent[0].callback_data == ["member"]
    sent = await tg.say(TG_ADMIN, "co quan dau moi")
    assert vi("Sorry, only the administrator can create invites for the lead office, and only for an office. "
              "Please pick one of the roles below.") in sent[0].text
    await tg.say(TG_ADMIN, "/huy")
    await tg.say(TG_ADMIN, "/moi")
    sent = await tg.say(TG_ADMIN, office)
    assert sent[0].callback_data == ["officer", "lead"]
    await tg.tap(TG_ADMIN, "lead")
    async with db.session() as s:
        invites = sorted((i.role, i.unit_id) for i in (await s.exec(select(Invite))).all())
    assert invites == sorted([("officer", org["hcc"]), ("lead", org["hcc"])])

    code, _out, err = await cli(monkeypatch, capsys, db_url, "invite", "create", "--unit", "Thôn Nà Pài",
                                "--role", "lead")
    assert code == 2 and "only be for an office" in err
    code, _out, err = await cli(monkeypatch, capsys, db_url, "invite", "create", "--unit", "Thôn Nà Pài",
                                "--role", "member")
    assert code == 0, err


async def test_restore_reapplies_anonymisations_made_after_the_backup(
        db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    org = await make_org(db)
    leaver = await add_person(db, org["napai"], "Lò Văn Minh", "member", telegram_id=31, phone="0987654321")
    stays = await add_person(db, org["napai"], "Hà Văn Tùng", "member", telegram_id=32)
    code, _out, err = await cli(monkeypatch, capsys, db_url, "backup", str(tmp_path / "b.bin"))
    assert code == 0, err
    code, _out, err = await cli(monkeypatch, capsys, db_url, "person", "anonymise", "--phone", "0987654321")
    assert code == 0, err
    await db.dispose()
    code, out, err = await cli(monkeypatch, capsys, db_url, "restore", str(tmp_path / "b.bin"))
    assert code == 0, err
    assert f"re-applied 1 anonymisation(s) recorded after the backup was taken: person #{leaver}" in out
    async with db.session() as s:
        gone = await s.get(Person, leaver)
        kept = await s.get(Person, stays)
        idents = [(i.person_id, i.external_id) for i in (await s.exec(select(Identity))).all()]
        audit = (await s.exec(select(AuditLog).where(AuditLog.action == "person.anonymise"))).all()
    assert gone is not None and gone.anonymised_at and gone.phone is None and "Minh" not in gone.name
    assert kept is not None and kept.name == "Hà Văn Tùng"
    assert idents == [(stays, "32")]
    assert [a.detail["reapplied"] for a in audit] == [True]  # the restored log records it again


async def test_contact_shared_by_a_family_phone_asks_for_an_invite(tg: TelegramHarness, db: Database) -> None:
    org = await make_org(db)
    await add_person(db, org["napai"], "Lò Thị Mai", "member", phone="0912000009")
    await add_person(db, org["napai"], "Lò Văn Nam", "member", phone="0912000009")
    sent = await tg.send(tg.fake.contact(TG_BICH, "0912000009"))
    assert vi("Several people on the commune's list share this phone number, so I cannot tell which one you "
              "are. Please ask the lead office for an invite code.") in sent[0].text
    async with db.session() as s:
        assert (await s.exec(select(Identity))).all() == []
        assert len((await s.exec(select(Person))).all()) == 2


async def test_claiming_a_listed_lead_with_an_officer_invite_grants_no_lead_role(
        tg: TelegramHarness, db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: Any) -> None:
    await _org(tmp_path, monkeypatch, capsys, db_url)
    code, out, err = await cli(monkeypatch, capsys, db_url, "invite", "create", "--unit", "Phòng VH-XH",
                               "--role", "officer", "--days", "60", "--json")
    assert code == 0, err
    await tg.say(TG_LEAD, json.loads(out)["code"])
    sent = await tg.say(TG_LEAD, "Hoang Van Thai")
    assert "Hoàng Văn Thái" in sent[0].text
    await tg.say(TG_LEAD, "1")
    await tg.tap(TG_LEAD, "yes", expect=2)
    people = await _people(db)
    assert len(people) == 4 and people["Hoàng Văn Thái"].role == "officer"
