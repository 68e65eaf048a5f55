"""Personal data rights in chat: /dulieucuatoi sends a person everything stored about them."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from handlers.messages import FileOut, Outgoing
from handlers.turn import Turn
from locales.i18n import _, fmt_datetime
from storage.models import ActivityLog, Attachment, Identity, Person, Report, Unit

__all__ = ["my_data_cmd", "personal_data"]


async def personal_data(session, person: Person) -> dict[str, Any]:  # noqa: ANN001
    """Everything the bot stores that identifies ``person``, as plain JSON-able data."""
    unit = await session.get(Unit, person.unit_id) if person.unit_id else None
    idents = (await session.exec(select(Identity).where(Identity.person_id == person.id))).all()
    logs = (await session.exec(select(ActivityLog).where(ActivityLog.person_id == person.id)
                               .order_by(ActivityLog.on_date))).all()
    files = (await session.exec(select(Attachment).where(Attachment.person_id == person.id))).all()
    reports = (await session.exec(select(Report).where(Report.person_id == person.id))).all()
    return {
        "person": {"name": person.name, "phone": person.phone, "unit": unit.name if unit else None,
                   "role": person.role, "language": person.locale,
                   "consent_at": person.consent_at.isoformat() if person.consent_at else None,
                   "consent_version": person.consent_version, "preferred_channel": person.preferred_channel},
        "chat_accounts": [{"channel": i.channel, "account_id": i.external_id, "display_name": i.display_name,
                           "since": i.created_at.isoformat()} for i in idents],
        "activity_logs": [{"date": a.on_date.isoformat(), "activity": a.activity, "count": a.count,
                           "note": a.note} for a in logs],
        "evidence_files": [{"channel": f.channel, "kind": f.kind, "file_name": f.file_name, "size": f.size,
                            "stored_as": f.file_key, "platform_ref": f.file_ref, "caption": f.caption,
                            "report_id": f.report_id, "activity_log_id": f.activity_log_id} for f in files],
        "reports_submitted": [{"report_id": r.id, "submitted_at": r.submitted_at.isoformat(), "late": r.late,
                               "revision": r.revision} for r in reports],
        "purpose": "Reporting of the commune's digital-transformation plan (NQ 57-NQ/TW); "
                   "Law 91/2025/QH15 on personal data protection.",
    }


async def my_data_cmd(turn: Turn, _args: str) -> None:
    person = turn.person
    assert person is not None
    data = await personal_data(turn.session, person)
    p = data["person"]
    lines = [_("This is what I store about you:"),
             _("Name: {v}", v=p["name"]),
             _("Phone: {v}", v=p["phone"] or "—"),
             _("Unit: {v}", v=p["unit"] or "—"),
             _("Chat accounts: {v}", v=", ".join(i["channel"] for i in data["chat_accounts"])),
             _("Consent given: {v}", v=fmt_datetime(person.consent_at, turn.tz) if person.consent_at else "—"),
             _("Activity log entries: {n}; reports submitted: {m}", n=len(data["activity_logs"]),
               m=len(data["reports_submitted"])),
             _("The attached file holds all of it. To correct or delete your data, contact the lead office.")]
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    turn.reply(Outgoing(text="\n".join(lines), document=FileOut("du-lieu-ca-nhan.json", body, "application/json")))
