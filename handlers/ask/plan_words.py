"""What a question names of the plans: a task or indicator by its code, a section or group by number or words,
and which tasks it lists ("chưa xong", "đã hoàn thành", "chưa có báo cáo")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import select

from handlers.turn import Turn
from locales.textnorm import fold
from storage.models import Indicator, Plan, PlanSection, Task

__all__ = ["PlanNames", "find_code", "find_sections", "plan_names", "section_number", "task_filter"]


@dataclass(frozen=True)
class PlanNames:
    """The commune's task codes, indicator codes and section names (as the plan import stored them)."""

    tasks: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    sections: tuple[str, ...] = field(default=())


async def plan_names(turn: Turn) -> PlanNames:
    """The commune's task codes, indicator codes and section names, for reading a question."""
    if turn.person is None:
        return PlanNames()
    cid = turn.person.commune_id
    tasks = (await turn.session.exec(select(Task.code).join(Plan, Plan.id == Task.plan_id)
                                     .where(Plan.commune_id == cid))).all()
    inds = (await turn.session.exec(select(Indicator.code).join(Plan, Plan.id == Indicator.plan_id)
                                    .where(Plan.commune_id == cid))).all()
    sections = (await turn.session.exec(select(PlanSection.name).join(Plan, Plan.id == PlanSection.plan_id)
                                        .where(Plan.commune_id == cid).order_by(Plan.year, PlanSection.position))).all()
    return PlanNames(tuple(tasks), tuple(inds), tuple(dict.fromkeys(sections)))


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text)))


def _code_at(w: str, code: str, bare: bool) -> bool:
    cw = _words(code)
    if not cw:
        return False
    lead = r"(?:^|\s)" if bare else r"\bnhiem vu (?:so )?"
    return re.search(rf"{lead}{re.escape(cw)}(?=\s|$)", w) is not None


def _lettered(code: str) -> bool:
    """A code that cannot be a plain number in a sentence ("N5.6", "IV.2"), so it may be typed alone."""
    return any(c.isalpha() for c in code) and any(c.isdigit() for c in code)


def find_code(w: str, names: PlanNames) -> tuple[str, str] | None:
    """("task" | "indicator", code) named by ``w`` (folded words): "nhiệm vụ N5.6", "nv 1.2", "N5.6 thế nào". A
    plain number ("3", "1.2") counts only after "nhiệm vụ"; a task code before an indicator code, so "nhiệm vụ IV.2"
    in a plan of targets only (seed 001) is its indicator IV.2 (a plain number is an indicator's only when the commune
    has no task). Longer codes first ("1.2" before "1")."""
    for kind, codes in (("task", names.tasks), ("indicator", names.indicators)):
        for code in sorted(set(codes), key=lambda c: -len(_words(c))):
            if kind == "indicator" and names.tasks and not _lettered(code):
                continue  # "nhiệm vụ 4" with tasks 1–3: no task 4, not indicator 4 either
            if _code_at(w, code, False) or _lettered(code) and _code_at(w, code, True):
                return kind, code
    return None


_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50}


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    if not token or any(c not in _ROMAN for c in token):
        return None
    total = 0
    for i, c in enumerate(token):
        v = _ROMAN[c]
        total += -v if i + 1 < len(token) and _ROMAN[token[i + 1]] > v else v
    return total


_HEAD = re.compile(r"^(?:nhom|muc|phan|tru cot|linh vuc)?\s*([ivxl]{1,6}|\d{1,2})(?:\s|$)")


def section_number(name: str) -> int | None:
    """The number a section's name starts with: "Nhóm 4: Hạ tầng…" → 4, "IV. Về số hóa…" → 4, "II. KINH TẾ SỐ" → 2."""
    m = _HEAD.match(_words(name))
    return _number(m.group(1)) if m else None


def _title(name: str) -> str:
    """A section's words without its number ("kinh te so" of "II. KINH TẾ SỐ")."""
    return _HEAD.sub("", _words(name)).strip()


_ASKED = re.compile(r"\b(?:nhom(?: nhiem vu)?|muc|phan|tru cot|linh vuc)(?: so)? ([ivxl]{1,6}|\d{1,2})\b")
_CUE = re.compile(r"\b(?:nhiem vu|nhom|muc|phan|tru cot|linh vuc)\b")
_STOP = {"ve", "va", "cac", "cua", "tren", "dia", "ban", "xa", "cho", "trong", "voi", "nhung", "nao", "the", "co"}


def find_sections(w: str, sections: Sequence[str]) -> tuple[list[str], str, bool]:
    """(the sections named, the words that named them by title — "" when by number —, whether those are the
    whole title). "nhóm 4", "nhóm nhiệm vụ 4",
    "mục IV" name every section numbered 4; "nhiệm vụ kinh tế số" the section whose title it says (a pillar of
    seed 003, not Phòng Kinh tế). Only with a cue word (nhiệm vụ, nhóm, mục, phần, trụ cột, lĩnh vực)."""
    m = _ASKED.search(w)
    if m:
        n = _number(m.group(1))
        found = [s for s in sections if n is not None and section_number(s) == n]
        if found:
            return found, "", True
    if not _CUE.search(w):
        return [], "", False
    asked = set(w.split())
    best: tuple[int, float] = (0, 0.0)
    found, said, full = [], "", False
    for s in sections:
        title = _title(s)
        toks = {t for t in title.split() if len(t) > 1} - _STOP
        if not toks:
            continue
        run = _run(title, w)  # the longest run of the title's words said as they are written
        whole = run == title
        hit = len(toks & asked)
        score = (hit + 100 * whole, hit / len(toks))
        if not whole and (hit < 3 or hit / len(toks) < 0.6 and len(run.split()) < 3):
            continue
        if score > best:
            best, found, said, full = score, [s], run, whole
        elif score == best:
            found.append(s)
    return found, said, full


def _run(title: str, w: str) -> str:
    words = title.split()
    for n in range(len(words), 0, -1):
        for i in range(len(words) - n + 1):
            phrase = " ".join(words[i:i + n])
            if re.search(rf"(?:^|\s){re.escape(phrase)}(?:\s|$)", w):
                return phrase
    return ""


def task_filter(w: str) -> str | None:
    """Which tasks a list asks for: "open" (chưa xong, chưa hoàn thành), "done" (đã hoàn thành, xong rồi),
    "unreported" (chưa có báo cáo, chưa ai báo cáo); None for any other question."""
    if re.search(r"\b(?:chua (?:co |duoc |ai )?bao cao|chua ai bao cao|khong co bao cao|chua co ai bao cao|"
                 r"not reported|no report)\b", w):
        return "unreported"
    if re.search(r"\b(?:chua (?:lam )?xong|chua hoan thanh|chua thuc hien xong|con dang|dang thuc hien|"
                 r"not (?:yet )?done|unfinished|not finished|open)\b", w):
        return "open"
    if re.search(r"\b(?:da (?:lam )?xong|xong roi|da hoan thanh|hoan thanh roi|hoan thanh|done|finished|completed)\b",
                 w):
        return "done"
    return None
