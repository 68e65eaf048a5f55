"""The province office's /xuat: the province workbook and the draft report of the province office as files."""

from __future__ import annotations

from handlers.messages import FileOut, Outgoing
from handlers.periods import period_arg, province_calendar
from handlers.turn import Turn
from locales.i18n import _
from storage.calendar.calendar import period_by_key
from storage.models import Province
from storage.province import province_communes

__all__ = ["province_export_cmd", "province_file_stem"]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def province_file_stem(period_key: str) -> str:
    return f"bao-cao-nq57-tinh-{period_key}"


async def province_export_cmd(turn: Turn, args: str) -> None:
    """``/xuat [tháng 11]`` for the province office: the deployment's streams (the province view's one
    calendar), the same figures as its /tinhtrang (storage.traffic)."""
    from handlers.exports.province_data import gather_province_export
    from handlers.exports.province_docx import build_province_docx
    from handlers.exports.province_xlsx import build_province_xlsx

    assert turn.person is not None
    if turn.person.province_id is None:
        turn.reply(_("Your account is not tied to a province yet. Please ask the administrator for a new invite."))
        return
    province = await turn.session.get(Province, turn.person.province_id)
    assert province is not None
    unit_stream, village_stream, month = await province_calendar(turn, province.report_due_day)
    up = period_arg(turn, unit_stream, args, month, relative=True)
    if up is None:
        return
    if not await province_communes(turn.session, province.id):  # type: ignore[arg-type]
        turn.reply(_("No commune belongs to this province yet."))
        return
    vp = period_by_key(village_stream, up.key, turn.tz)
    data = await gather_province_export(turn.session, province, up, vp, turn.now, turn.tz,
                                        turn.services.activity_catalog())
    stem = province_file_stem(data.period_key)
    turn.reply(Outgoing(text=_("Province workbook for {period}: communes in the three colours, activities, "
                               "overdue tasks.", period=data.period_label),
                        document=FileOut(f"{stem}.xlsx", build_province_xlsx(data), XLSX_MIME)))
    turn.reply(Outgoing(text=_("Draft report of the province office for {period}, ready to edit and sign.",
                               period=data.period_label),
                        document=FileOut(f"{stem}.docx", build_province_docx(data), DOCX_MIME)))
