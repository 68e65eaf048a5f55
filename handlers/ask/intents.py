"""Which question it is: rules on the folded, spelled-out words, with the entities it names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from handlers.ask.detect import words
from handlers.ask.entities import Entities, UnitName, expand, find_kinds, find_period, find_units, unit_scope
from handlers.ask.plan_words import PlanNames, find_code, find_sections, task_filter

__all__ = ["INTENTS", "Understood", "understand"]

INTENTS = ("not_reported", "reported", "late", "returned", "not_joined", "unit_status", "unit_report",
           "activity_totals", "by_village", "indicators", "overdue", "unit_tasks", "task_detail", "plan_section",
           "task_list", "export", "chart", "remind", "my_due",
           "status", "unknown")


@dataclass
class Understood:
    intent: str
    entities: Entities = field(default_factory=Entities)
    text: str = ""
    own: str | None = None  # an officer's question about the plan: only this unit's items are shown

    def as_dict(self) -> dict:
        return {"intent": self.intent, "entities": self.entities.as_dict()}


def _any(w: str, *patterns: str) -> bool:
    return any(re.search(rf"\b(?:{p})\b", w) for p in patterns)


# "chỉ tiêu 4", "chỉ tiêu 1.2", "chỉ tiêu IV.2" (a section's Roman numeral, seed 001), "chỉ tiêu N4.KQ2" (group 4's
# second result, seed 004); the words have the dots as spaces ("chi tieu iv 2"), put back in the code
_INDICATOR_CODE = re.compile(r"\bchi tieu (?:so )?((?:[ivxl]{1,6} |[a-z]{1,2})?\d{1,3}(?: [a-z]{0,2}\d{1,3}(?! \d))?[a-z]?)\b"
                             r"|\b(?:ct|indicator) ?(\d{1,3})\b")
_SLOW = ("cham", "vuong mac", "chua dat", "khong dat", "kem", "nguy co", "tut", "off track", "slow", "behind", "lagging",
         "thap", "te nhat", "xau")


def understand(text: str, units: Sequence[UnitName], catalog: Sequence, commune: str | None = None,
               indicator_names: Sequence[tuple[str, str]] = (), plan: PlanNames | None = None) -> Understood:
    """The intent and entities of ``text`` (never raises; "unknown" when no rule fits). ``plan``: the commune's
    task and indicator codes and section names, for "nhiệm vụ N5.6", "nhóm 4", "nhiệm vụ kinh tế số"."""
    raw = words(text)
    w = expand(raw)
    e = Entities(period=find_period(w), scope=unit_scope(w), kinds=find_kinds(w, catalog))
    plan = plan or PlanNames()
    e.sections, said, whole = find_sections(w, plan.sections)
    e.units, e.ambiguous = find_units(w, units, commune)
    if said and whole:  # a section named by its whole title is no unit: "nhiệm vụ kinh tế số" is the pillar
        e.units, e.ambiguous = find_units(w.replace(said, " "), units, commune)
    elif said and (e.units or e.ambiguous):  # a few words of a title, and a unit's name: the unit
        e.sections = []
    code = find_code(w, plan)
    if code is not None and code[0] == "task":
        e.task = code[1]
    elif code is not None and not e.indicator:
        e.indicator = code[1]
    if e.units or e.ambiguous:
        e.scope = None if not e.units else e.scope
    if _any(w, "so voi thang truoc", "so voi ky truoc", "so thang truoc", "voi thang truoc", "compared",
            "than last month", "vs last month", "tang giam", "tang hay giam"):
        e.compare = "previous"
    if _any(w, "cung ky", "cung thang nam (?:truoc|ngoai)", "nam truoc cung", "same month last year"):
        e.compare = "last_year"
        if e.period and e.period.startswith("nam"):
            e.period = None
    e.slow = _any(w, *_SLOW)
    e.reached = not e.slow and _any(w, "da dat", "dat roi", "dat chi tieu", "hoan thanh", "on track", "achieved")
    intent = _intent(w, e, indicator_names)
    return Understood(intent, e, text)


def _indicator(w: str, e: Entities, names: Sequence[tuple[str, str]], strict: bool = False) -> bool:
    """An indicator named by code or by words of its name (``strict``: no "chỉ tiêu"/"tỷ lệ" was said)."""
    m = _INDICATOR_CODE.search(w)
    if m:
        e.indicator = (m.group(1) or m.group(2)).replace(" ", ".")
        return True
    # "chỉ tiêu" says what is asked about, it is no word of a name (seed 004's "Tiêu chí đánh giá…")
    q = {t for t in re.sub(r"\bchi tieu\b", " ", w).split() if len(t) > 1} - _STOP
    best, code, second = (0, 0.0), None, 0
    for c, name in names:
        n = {t for t in words(name).split() if len(t) > 1} - _STOP
        if len(n) < 2:
            continue
        hit = len(q & n)
        score = (hit, hit / len(n)) if hit >= 2 else (0, 0.0)
        if score > best:
            second = max(second, best[0])
            best, code = score, c
        else:
            second = max(second, score[0])
    ok = (best[0] >= 3 and best[1] >= 0.5) if strict else (best[1] >= 0.4 or best[0] >= 2 and best[0] > second)
    if code is not None and ok:
        e.indicator = code
        return True
    return False


_STOP = {"bao", "nhieu", "dat", "duoc", "thang", "nay", "truoc", "the", "nao", "roi", "chua", "xa",
         "cac", "va", "co", "khong", "la", "da", "ti", "ty", "le", "hoat", "dong", "ket", "qua", "lieu"}


def _intent(w: str, e: Entities, names: Sequence[tuple[str, str]]) -> str:
    if re.match(r"^(?:\w+ ){0,3}?(?:nhac|nhac nho|remind)\b", w) and not _any(w, "nhac lai sau", "nhac toi"):
        return "remind"
    if _any(w, "xuat", "export", "file bao cao", "tai bao cao", "ban word", "file excel") or re.match(
            r"^(?:\w+ ){0,2}?gui (?:file |ban )?bao cao\b", w) and not _any(w, "chua", "da", "nao", "ai"):
        return "export"
    if _any(w, "bieu do", "do thi", "charts?", "graphs?"):
        return "chart"
    if _any(w, "toi con", "con phai (?:nop|bao cao|gui)", "phai nop gi", "toi phai", "minh con phai",
            "han (?:nop|bao cao) cua toi", "what do i (?:still )?owe", "my due", "do i have to"):
        return "my_due"
    if _any(w, "chua (?:tham gia|vao|dang ky|dung|ket noi|cai|join|co tai khoan)", "not joined",
            "(?:tham gia|vao) bot chua", "hasn t joined", "haven t joined"):
        return "not_joined"
    said_indicator = _any(w, "chi tieu", "indicators?", "ty le", "ti le", "muc tieu")
    if e.task and not said_indicator:
        return "task_detail"
    if e.indicator and not said_indicator and not e.task:  # "nhiệm vụ IV.2" of a plan of targets only
        return "indicators"
    if e.sections and not e.task and not (said_indicator and _INDICATOR_CODE.search(w)):
        return "plan_section"
    if _any(w, "chi tieu", "indicators?", "ty le", "ti le", "muc tieu") or (
            not e.kinds and not e.units and _indicator(w, e, names, strict=True)):
        if _any(w, "chi tieu", "indicators?", "ty le", "ti le", "muc tieu"):
            _indicator(w, e, names)
        return "indicators"
    if _any(w, "nhiem vu", "tasks?", "viec"):
        if e.units and not _any(w, "qua han", "overdue"):
            return "unit_tasks"
        if not e.slow and not _any(w, "qua han", "tre han", "overdue"):
            e.task_filter = task_filter(w)
            if e.task_filter:
                return "task_list"
        return "overdue"
    if _any(w, "qua han", "overdue"):
        return "overdue"
    if _any(w, "tra lai", "bi tra", "returned", "sent back"):
        return "unit_status" if e.units else "returned"
    if _any(w, "tre han", "nop tre", "nop muon", "bao cao tre", "bao cao muon", "tre", "muon", "late",
            "cham nop", "nop cham", "qua han nop", "bao cao cham"):
        return "unit_status" if e.units else "late"
    reporting = _any(w, "bao cao", "nop", "gui", "report(?:ed|s)?", "submitted")
    if e.units and reporting:
        if _any(w, "the nao", "ra sao", "nhu the nao", "noi dung", "ket qua", "nhung gi", "what did", "how did",
                "kho khan", "de xuat", "kien nghi"):
            return "unit_report"
        return "unit_status"
    if e.units and not e.kinds and _any(w, "chua", "roi", "xong", "yet"):
        return "unit_status"
    not_yet = _any(w, "chua", "not", "haven t", "hasn t", "missing", "thieu", "con thieu")
    if reporting and not e.kinds or _any(w, "ai chua", "who hasn t", "who has not"):
        if not_yet:
            return "not_reported"
        if _any(w, "da", "roi", "xong", "who has", "which .* have", "reported"):
            return "reported"
    if _any(w, "theo thon", "tung thon", "moi thon", "by village", "per village", "cac thon duoc", "theo to dan pho",
            "tung to dan pho", "theo khu pho", "tung khu pho"):
        return "by_village"
    if e.kinds or e.period and _any(w, "bao nhieu", "lam duoc", "duoc gi", "nhung gi") or _any(w, "hoat dong", "activit(?:y|ies)", "duoc bao nhieu", "bao nhieu nguoi", "ket qua",
                       "how many", "tong so", "so lieu", "total"):
        return "activity_totals"
    if _any(w, "tinh hinh", "tinh trang", "tong quan", "status", "overview", "bao cao"):
        return "status"
    if e.units:
        return "activity_totals" if any(u.kind == "village" for u in e.units) else "unit_status"
    return "unknown"
