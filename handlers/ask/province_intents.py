"""Which question the province office asks: the commune rules read with communes as the names, then
mapped to the province's answers (communes ranked, not reported, activities, indicators, overdue)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.ask.detect import words
from handlers.ask.entities import UnitName, expand, find_period
from handlers.ask.intents import Understood, understand

__all__ = ["PROVINCE_INTENTS", "CommuneName", "understand_province"]

PROVINCE_INTENTS = ("p_not_reported", "p_reported", "p_late", "p_rank", "p_status", "p_activities",
                    "p_by_commune", "p_indicators", "p_overdue", "p_commune", "p_outside", "p_export", "p_read_only",
                    "p_compiled", "p_unit", "unknown")  # p_unit: a village team or an office named (province_units)


@dataclass(frozen=True)
class CommuneName:
    id: int
    name: str
    province_id: int | None


def _any(w: str, *patterns: str) -> bool:
    return any(re.search(rf"\b(?:{p})\b", w) for p in patterns)


_RANK = ("cham nhat", "kem nhat", "te nhat", "yeu nhat", "thap nhat", "xau nhat", "xep hang", "xep loai",
         "dung cuoi", "do nhat", "tut hau", "mau do", "bi do", "(?:xa|nhung xa|cac xa) nao (?:bi |mau )?(?:do|vang)",
         "xa nao cham", "nhung xa cham", "(?:bao nhieu|may|nhung|cac) xa (?:bi |mau )?(?:do|vang|xanh)", "cac xa cham", "xanh vang do", "canh bao", "laggards?", "worst",
         "rank(?:ed|ing)?", "behind the most", "slowest", "lag(?:s|ging)? (?:the )?most", "most behind")
_BY_COMMUNE = ("theo xa", "tung xa", "moi xa", "cac xa duoc", "theo tung xa", "by commune", "per commune",
               "each commune")
_WRITE = ("remind", "chart", "my_due")
# the commune's compiled report to the province (storage.province_stream)
_COMPILED = ("bao cao tong hop", "bc tong hop", "(?:gui|nop|chuyen) (?:bao cao |bc )?(?:ve|len|cho) tinh",
             "bao cao (?:ve|len|cho|gui) tinh", "compiled reports?")
_COMPARE = re.compile(r"\b(?:so )?(?:voi|sv) (?:thang|ky) truoc\b")


def understand_province(text: str, communes: Sequence[CommuneName], catalog: Sequence,
                        province_id: int) -> tuple[Understood, list[CommuneName]]:
    """The province intent of ``text`` and the communes it names (any province: the answer refuses
    those outside the asker's). Never raises; "unknown" when no rule fits."""
    names = [UnitName(c.id, c.name, "commune") for c in communes]
    u = understand(text, names, catalog)
    by_id = {c.id: c for c in communes}
    if u.entities.ambiguous and not u.entities.units:  # only the province's own communes are offered
        mine = [x for x in u.entities.ambiguous if by_id[x.id].province_id == province_id]
        u.entities.units, u.entities.ambiguous = (mine, []) if len(mine) == 1 else ([], mine)
    named = [by_id[x.id] for x in u.entities.units]
    w = expand(words(text))
    if u.entities.compare == "previous" and _COMPARE.search(w):  # "so với tháng trước" is no period
        u.entities.period = find_period(_COMPARE.sub(" ", w))
    u.intent = _intent(u.intent, w, u, named, province_id)
    return u, named


def _intent(base: str, w: str, u: Understood, named: list[CommuneName], province_id: int) -> str:
    if any(c.province_id != province_id for c in named):
        return "p_outside"
    if base == "export":
        return "p_export"
    if base in _WRITE:
        return "p_read_only"
    if _any(w, *_COMPILED):
        return "p_compiled"
    plans = _any(w, "chi tieu", "indicators?", "ty le", "muc tieu", "nhiem vu", "tasks?", "qua han", "overdue")
    if named:
        if base in ("activity_totals", "by_village"):
            return "p_activities"
        if base == "indicators":
            return "p_indicators"
        if base in ("overdue", "unit_tasks"):
            return "p_overdue"
        return "p_commune"
    if not plans and _any(w, *_RANK):
        return "p_rank"
    if _any(w, *_BY_COMMUNE) and base in ("activity_totals", "by_village", "unknown", "status") and not plans:
        return "p_by_commune"
    mapped = {"not_reported": "p_not_reported", "reported": "p_reported", "late": "p_late",
              "returned": "p_late", "activity_totals": "p_activities", "by_village": "p_by_commune",
              "indicators": "p_indicators", "overdue": "p_overdue", "unit_tasks": "p_overdue",
              "status": "p_status"}.get(base)
    if mapped:
        return mapped
    if u.entities.compare or u.entities.kinds:
        return "p_activities"
    if _any(w, "cac xa", "xa nao", "nhung xa", "toan tinh", "ca tinh", "communes?"):
        return "p_status"
    return "unknown"
