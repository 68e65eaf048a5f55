"""Questions asked in chat: the corpus (all but answers of several messages or files) through the fake
Telegram and Zalo servers, choices typed on Zalo, the reminder asked in words and confirmed, and a
first-month scenario where the numbers add up."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from locales.textnorm import fold
from storage.db import Database
from storage.models import ActivityLog, Outbox, Person
from tests.ask_corpus import CORPUS, check
from tests.ask_support import KHUOI, LEAD, MEMBER, MEMBER2, OFFICER, seed_commune
from tests.harness import TelegramHarness
from tests.zalo_harness import ZaloHarness, add_zalo_identity

USER = {"lead": LEAD, "member": MEMBER, "officer": OFFICER}
SKIP = ("export", "chart", "status", "my_due")  # several messages or files: covered by their own tests
CHAT_CORPUS = [c for c in CORPUS if c["intent"] not in SKIP]  # every corpus question that answers in one message


def _seen(text: str, labels: list[str]) -> str:
    return "\n".join([text, *labels])


async def test_corpus_on_telegram(tg: TelegramHarness, db: Database) -> None:
    assert len(CHAT_CORPUS) >= 150
    await seed_commune(db)
    failures = []
    for case in CHAT_CORPUS:
        sent = await tg.say(USER[case["role"]], case["q"])
        await tg.say(USER[case["role"]], "/huy")  # closes the drill-down choice, if any
        msg = sent[0]
        labels = [b for row in msg.buttons for b in row]
        problems = check({**case, "intent": "*", "entities": {}}, {}, _seen(msg.text or "", labels))
        if problems:
            failures.append(f"{case['q']!r}: {problems} → {msg.text!r}")
    assert len(failures) <= len(CHAT_CORPUS) // 20, failures


async def test_corpus_on_zalo(zh: ZaloHarness, db: Database) -> None:
    await seed_commune(db)
    async with db.session() as s:
        people = {p.name: p.id for p in (await s.exec(select(Person))).all()}
    await add_zalo_identity(db, people["Trần Thị Lan"], "z-lead")
    await add_zalo_identity(db, people["Lò Văn Minh"], "z-member")
    await add_zalo_identity(db, people["Hoàng Văn Nam"], "z-officer")
    failures = []
    for case in CHAT_CORPUS:
        user = f"z-{case['role']}"
        sent = await zh.say(user, case["q"])
        if "\n1. " in sent[-1]["text"]:
            await zh.say(user, "/huy")
        problems = check({**case, "intent": "*", "entities": {}}, {}, sent[-1]["text"])
        if problems:
            failures.append(f"{case['q']!r}: {problems} → {sent[-1]['text']!r}")
    assert len(failures) <= len(CHAT_CORPUS) // 20, failures


async def test_choices_typed_on_zalo(zh: ZaloHarness, db: Database) -> None:
    await seed_commune(db)
    async with db.session() as s:
        lead = (await s.exec(select(Person).where(Person.name == "Trần Thị Lan"))).one()
    await add_zalo_identity(db, lead.id, "z-lead")  # type: ignore[arg-type]
    sent = await zh.say("z-lead", "thon na bao nhieu vneid")
    assert "Ý bạn là" in sent[0]["text"] and "Thôn Nà Pài" in sent[0]["text"]
    pai = 1 if "1. Thôn Nà Pài" in sent[0]["text"] else 2
    sent = await zh.say("z-lead", str(pai))
    assert "Thôn Nà Pài" in sent[0]["text"] and "12" in sent[0]["text"]
    # a drill-down offered as a numbered list; a new question instead of a number is answered afresh
    sent = await zh.say("z-lead", "chi tieu nao cham")
    assert "Tỷ lệ người dân có tài khoản định danh điện tử" in sent[0]["text"]
    await zh.say("z-lead", "/huy")
    # the reminder asked in words is confirmed by typing its number, exactly like the digest's button
    sent = await zh.say("z-lead", "nhac cac thon chua bao cao")
    assert "Thôn Khuổi Luông" in sent[0]["text"] and "1. Gửi nhắc nhở" in sent[0]["text"]
    sent = await zh.say("z-lead", "1")
    assert "Nông Thị Bé" in sent[0]["text"]  # reminded nobody: Khuổi Luông's member has not joined


async def test_remind_in_words_asks_before_sending(tg: TelegramHarness, db: Database) -> None:
    await seed_commune(db)
    async with db.session() as s:
        queued = len((await s.exec(select(Outbox))).all())
    sent = await tg.say(LEAD, "nhắc các thôn chưa báo cáo")
    assert KHUOI in sent[0].text and sent[0].callback_data == ["remind:village_monthly:2026-12"]
    async with db.session() as s:
        assert len((await s.exec(select(Outbox))).all()) == queued + 1  # only the reply: nothing sent yet
    sent = await tg.tap(LEAD, "remind:village_monthly:2026-12")
    assert "0" in sent[0].text and "Nông Thị Bé" in sent[0].text  # nobody of Khuổi Luông has joined
    # the drill-down keeps the period asked about
    sent = await tg.say(LEAD, "thon nao chua bao cao thang 11")
    assert "Thôn Bản Chang" in sent[0].text and sent[0].callback_data == ["0"]
    sent = await tg.tap(LEAD, "0")
    assert "Thôn Bản Chang" in sent[0].text and sent[0].callback_data == ["remind:village_monthly:2026-11"]


async def test_member_question_is_not_logged(tg: TelegramHarness, db: Database) -> None:
    await seed_commune(db)
    async with db.session() as s:
        before = len((await s.exec(select(ActivityLog))).all())
    sent = await tg.say(MEMBER, "thôn mình tháng này được bao nhiêu người kích hoạt VNeID?")
    assert "Thôn Nà Pài" in sent[0].text and "12" in sent[0].text
    sent = await tg.say(MEMBER2, "thôn Nà Pài tháng này được bao nhiêu?")
    await tg.say(MEMBER2, "/huy")
    assert "thôn mình" in sent[0].text and "Thôn Nà Lẹng" in sent[0].text
    sent = await tg.say(MEMBER, "hỗ trợ 5 người cài VNeID rồi chưa")  # a log with a weak question mark
    assert sent[0].callback_data == ["0", "1"], sent[0].text
    sent = await tg.tap(MEMBER, "1")  # a log: the usual confirmation
    assert sent[0].buttons, sent[0].text
    await tg.tap(MEMBER, "ok")
    async with db.session() as s:
        assert len((await s.exec(select(ActivityLog))).all()) == before + 1


async def test_scenario_numbers_add_up(tg: TelegramHarness, db: Database) -> None:
    """Members log, a unit reports, then the lead office asks in chat and gets the right numbers."""
    from tests.seed import invite
    from tests.test_lead_office import LEAD as LEAD2
    from tests.test_lead_office import MEMBER as M1
    from tests.test_lead_office import MEMBER2 as M2
    from tests.test_lead_office import _people, _submit

    org = await _people(db)
    newcomer = 8010
    sent = await tg.say(newcomer, f"/start {await invite(db, org['khuoi'], 'member')}", first_name="Vi Thị Hạnh")
    await tg.tap(newcomer, "Vi Thị Hạnh")
    sent = await tg.tap(newcomer, "yes", expect=2)
    assert "Vi Thị Hạnh" in sent[0].text
    for user, text in ((M1, "hôm nay hỗ trợ 6 người kích hoạt VNeID, 2 hồ sơ DVC"),
                       (M2, "ho tro 4 nguoi cai vneid"), (M1, "đến 9 hộ hướng dẫn thanh toán QR"),
                       (newcomer, "hỗ trợ 3 người cài VNeID")):
        await tg.say(user, text)
        await tg.tap(user, "ok")
    sent = await tg.say(LEAD2, "thôn nào chưa báo cáo?")
    assert "tất cả đã báo cáo" in sent[0].text
    await tg.say(LEAD2, "/huy")
    sent = await tg.say(LEAD2, "đơn vị nào chưa báo cáo?")
    assert "Trung tâm Phục vụ hành chính công" in sent[0].text
    await tg.say(LEAD2, "/huy")
    from tests.test_lead_office import OFFICER as OFF

    tg.last.pop(OFF, None)
    await _submit(tg)
    sent = await tg.say(LEAD2, "trung tam hanh chinh cong nop bc chua")
    assert "đúng hạn" in sent[0].text
    await tg.say(LEAD2, "/huy")
    sent = await tg.say(LEAD2, "tháng này được bao nhiêu người kích hoạt VNeID?")
    assert "VNeID): 13" in sent[0].text and "Thôn Nà Pài 6" in sent[0].text and "Thôn Khuổi Luông 7" in sent[0].text
    await tg.say(LEAD2, "/huy")
    sent = await tg.say(LEAD2, "ai chua tham gia bot")
    assert "Nông Thị Bé" in sent[0].text and "Vi Thị Hạnh" not in sent[0].text
    await tg.say(LEAD2, "/huy")
    sent = await tg.say(LEAD2, "thon na pai thang nay duoc bao nhieu")
    assert all(x in fold(sent[0].text) for x in ("6", "2", "9"))
    assert tg.now == datetime(2026, 12, 10, 3, 0, tzinfo=UTC)


async def test_english_speaking_lead(tg: TelegramHarness, db: Database) -> None:
    await seed_commune(db)
    await tg.say(LEAD, "/ngonngu en")
    sent = await tg.say(LEAD, "which villages have not reported?")
    assert "Village teams not reported for December 2026" in sent[0].text and KHUOI in sent[0].text
    assert [b for row in sent[0].buttons for b in row] == ["Remind the villages not reported"]
    sent = await tg.say(LEAD, "how many VNeID activations in november?")
    assert "VNeID e-ID installs and activations: 7" in sent[0].text
