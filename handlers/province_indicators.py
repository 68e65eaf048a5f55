"""The province office's /chitieu: each shared target across its communes (latest figures against the
province's target, how many communes are on track, which are not matched), and one target in full."""

from __future__ import annotations

from handlers.periods import period_arg, period_label, province_calendar
from handlers.report_items import TASK_STATUSES
from handlers.shared_indicators import CommuneValue, SharedRow, shared_indicator_table
from handlers.turn import Turn
from locales.i18n import N_, _, current_locale, fmt_number
from locales.textcut import shorten
from locales.textnorm import fold
from storage.models import Province

__all__ = ["province_indicators_cmd"]

_ICON = {"off_track": "🔴", "at_risk": "🟠", "no_data": "⚪", "on_track": "🟢"}
_ORDER = {"off_track": 0, "at_risk": 1, "no_data": 2, "on_track": 3}  # laggards first
_STATUS = {"off_track": N_("off track"), "at_risk": N_("at risk"), "no_data": N_("no data"),
           "on_track": N_("on track")}
SCREEN = 8  # communes shown per target in the overview; /chitieu CODE shows them all


def _value(c: CommuneValue, period_key: str) -> str:
    """The latest answer: "95%", "1.234 hộ", "Achieved", "In progress: …", "—" when none; with the
    period it was reported for when that is an earlier one ("90% (2026-10)")."""
    text = _answer_text(c)
    return f"{text} ({c.reported_in})" if c.reported_in and c.reported_in != period_key else text


def _answer_text(c: CommuneValue) -> str:
    if c.status is not None:
        label = _(TASK_STATUSES.get(c.status, "—"))
        return f"{label}: {shorten(c.text, 60)}" if c.text else label
    if c.value is None:
        return "—" if c.achieved is None else (_("Achieved") if c.achieved else _("Not achieved"))
    unit = (c.unit or "").strip()
    return fmt_number(c.value) + ("%" if unit == "%" else f" {unit}" if unit else "")


def _target(text: str, unit: str | None) -> str:
    if not text:
        return "—"
    return text + "%" if (unit or "").strip() == "%" and not text.rstrip().endswith("%") else text


def _sorted(values: list[CommuneValue]) -> list[CommuneValue]:
    return sorted(values, key=lambda c: (_ORDER[c.province_assessment], fold(c.commune), c.commune))


def _head(r: SharedRow) -> str:
    return _("{code}. {name} (province target {target}): {on} of {n} communes on track",
             code=r.code, name=shorten(r.name, 90), target=_target(r.target_short, r.unit), on=r.on_track,
             n=len(r.communes))


def _overview(rows: list[SharedRow], period_key: str) -> list[str]:
    lines: list[str] = []
    for r in rows:
        lines.append(_head(r))
        shown = _sorted(r.communes)
        for c in shown[:SCREEN]:
            lines.append(f"  {_ICON[c.province_assessment]} {c.commune}: {_value(c, period_key)}")
        if len(shown) > SCREEN:
            lines.append("  " + _("… and {n} more: type /chitieu {code}", n=len(shown) - SCREEN, code=r.code))
        if r.unmatched:
            lines.append("  " + _("Not matched: {communes}", communes=shorten(", ".join(r.unmatched), 300)))
    return lines


def _detail(r: SharedRow, period_key: str) -> list[str]:
    lines = [_head(r)]
    for c in _sorted(r.communes):
        lines.append(_("{icon} {commune} ({code}: {name}): {value}; own target {target} ({status})",
                       icon=_ICON[c.province_assessment], commune=c.commune, code=c.code,
                       name=shorten(c.name, 60), value=_value(c, period_key), target=_target(c.target_short, c.unit),
                       status=_(_STATUS[c.assessment])))
    if r.unmatched:
        lines.append(_("Not matched: {communes}", communes=", ".join(r.unmatched)))
    return lines


async def province_indicators_cmd(turn: Turn, args: str) -> None:
    """/chitieu [CODE] [period] for the province office."""
    assert turn.person is not None
    if turn.person.province_id is None:
        turn.reply(_("Your account is not tied to a province yet. Please ask the administrator for a new invite."))
        return
    province = await turn.session.get(Province, turn.person.province_id)
    assert province is not None
    from storage.shared_indicators import province_indicators

    targets = await province_indicators(turn.session, province.id)  # type: ignore[arg-type]
    if not targets:
        turn.reply(_("The province has no shared indicator list yet. The administrator imports it with "
                     "`cdsbot province indicators import`."))
        return
    first, _sep, rest = args.strip().partition(" ")
    code = next((t.code for t in targets if first and fold(t.code) == fold(first)), None)
    stream, _village, month = await province_calendar(turn, province.report_due_day)  # the deployment's
    period = period_arg(turn, stream, rest if code else args, month, relative=True)
    if period is None:
        return
    rows = await shared_indicator_table(turn.session, province.id, period,  # type: ignore[arg-type]
                                        min(turn.today, period.end))
    label = period_label(period, current_locale())
    if code is not None:
        row = next(r for r in rows if r.code == code)
        turn.reply("\n".join([_("Shared indicator of {province} at {period}:", province=province.name,
                                period=label), *_detail(row, period.key)]))
        return
    lines = [_("Shared indicators of {province} at {period} (each commune's latest figure against the "
               "province's target):", province=province.name, period=label), *_overview(rows, period.key)]
    lines.append(_("Type /chitieu followed by a code (e.g. /chitieu {code}) for every commune with its own "
                   "target.", code=rows[0].code))
    turn.reply("\n".join(lines))
