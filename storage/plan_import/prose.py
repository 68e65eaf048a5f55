"""Read prose task groups ("Nhóm N", "Nhiệm vụ N:", "Kết quả cần đạt") into tasks and indicators."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from locales.textnorm import strip_diacritics
from storage.plan_import.model import Due, ParsedIndicator, ParsedTask
from storage.plan_import.phrases import parse_due, parse_target, split_units, unit_key
from storage.plan_import.prose_targets import sentence_due, sentence_target
from storage.plan_import.readers import clean_text

__all__ = ["ProseResult", "parse_prose"]

_BULLET = re.compile(r"^\s*(?:[-–—+•·▪●◦*]|\d{1,2}[.)](?!\d))\s+")
_GROUP = re.compile(r"^nhom\s+(\d{1,2})\s*[:.)\-]\s*(.*)$")
_TASK = re.compile(r"^nhiem vu\s*(\d{1,3})?\s*[:.)]\s*")
_DUE = re.compile(r"^(?:thoi gian|thoi han)(?: hoan thanh| thuc hien)?([^:]{0,80}):\s*")
_PARTNERS = re.compile(r"^(?:co quan|don vi)[^:]{0,40}phoi hop[^:]{0,30}:\s*")
_LEADS = re.compile(r"^(?:co quan|don vi)[^:]{0,40}(?:chu tri|thuc hien)[^:]{0,30}:\s*")
_SUBHEAD = re.compile(r"^\d{1,2}\.\d{1,2}\.?\s")
_PART = re.compile(r"^[IVX]{1,5}\.\s+\S")  # "IV. TỔ CHỨC THỰC HIỆN" ends the task groups


@dataclass
class _Task:
    number: str | None
    title: list[str]
    dues: list[tuple[str, str]] = field(default_factory=list)  # (label qualifier, phrase)
    leads: list[str] = field(default_factory=list)
    partners: list[str] = field(default_factory=list)


@dataclass
class _Group:
    number: str
    name: str
    tasks: list[_Task] = field(default_factory=list)
    results: list[list[str]] = field(default_factory=list)


@dataclass
class ProseResult:
    tasks: list[ParsedTask] = field(default_factory=list)
    indicators: list[ParsedIndicator] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)


def _strip_bullet(text: str) -> tuple[str, bool]:
    m = _BULLET.match(text)
    return (text[m.end():].strip(), True) if m else (text.strip(), False)


def _key(text: str) -> str:
    """Lower case without diacritics, same length as ``text`` so match offsets slice the original."""
    key = strip_diacritics(text).lower()
    return key if len(key) == len(text) else text.lower()


def _collect(lines: list[str]) -> list[_Group]:
    groups: list[_Group] = []
    mode = "none"  # "tasks", "results", "closed" (other sub-headings), "done" (past the groups)
    target: list[str] | None = None  # the text field a wrapped line continues
    for raw in lines:
        text = clean_text(raw)
        if not text:
            continue
        body, bullet = _strip_bullet(text)
        key = _key(body)
        m = _GROUP.match(key)
        if m and not bullet:
            groups.append(_Group(number=m.group(1), name=body))
            mode, target = "tasks", None
            continue
        if not groups or mode == "done":
            continue
        group = groups[-1]
        if _PART.match(body) and not bullet:
            mode, target = "done", None
            continue
        if _SUBHEAD.match(body) and not bullet:
            if "ket qua can dat" in key:
                mode = "results"
            elif "noi dung" in key or "nhiem vu" in key or "thoi han" in key:
                mode = "tasks"
            else:
                mode = "closed"
            target = None
            continue
        if key.rstrip(" :.").endswith("ket qua can dat") and len(key) < 40:
            mode, target = "results", None
            continue
        m = _TASK.match(key)
        if m and mode != "closed":
            task = _Task(number=m.group(1), title=[body[m.end():].strip()])
            group.tasks.append(task)
            mode, target = "tasks", task.title
            continue
        task = group.tasks[-1] if group.tasks else None
        if mode == "tasks" and task is not None:
            m = _DUE.match(key)
            if m:
                task.dues.append((body[: m.end()].strip().rstrip(":").strip(), body[m.end():].strip()))
                target = None
                continue
            m = _PARTNERS.match(key) or _LEADS.match(key)
            if m:
                bucket = task.partners if "phoi hop" in key[: m.end()] else task.leads
                bucket.append(body[m.end():].strip())
                target = bucket
                continue
        if mode == "results" and (bullet or not body[:1].islower() or target is None):
            group.results.append([body])
            target = group.results[-1]
            continue
        if mode in {"tasks", "results"} and target is not None:
            target[-1] = f"{target[-1]} {body}".strip()  # a line wrapped onto the next paragraph
    return groups


def _units(texts: list[str]) -> tuple[list[str], list[str]]:
    leads: list[str] = []
    partners: list[str] = []
    for text in texts:
        if text.strip():
            lead, partner = split_units(text.strip().rstrip("."))
            leads += lead
            partners += partner
    return leads, partners


def _dedupe(names: list[str], taken: list[str] | None = None) -> list[str]:
    seen = {unit_key(n) for n in taken or []}
    out: list[str] = []
    for name in names:
        key = unit_key(name)
        if name.strip() and key not in seen:
            seen.add(key)
            out.append(name.strip())
    return out


def _pick_due(task: _Task, year: int) -> tuple[Due, str | None]:
    if not task.dues:
        return Due(text="", kind="none"), None
    parsed = [(label, phrase, parse_due(phrase.rstrip("."), year)) for label, phrase in task.dues]
    chosen = parsed[-1]
    for item in reversed(parsed):
        if item[2].kind not in {"done", "none"}:
            chosen = item
            break
    extra = [f"{label}: {phrase}" for label, phrase, _ in parsed if (label, phrase) != chosen[:2]]
    return chosen[2], ("; ".join(extra) or None)


def parse_prose(lines: list[str], year: int) -> ProseResult:
    """Parse "Nhóm N" groups with "Nhiệm vụ N:" tasks and "Kết quả cần đạt" result bullets."""
    result = ProseResult()
    prefixes: set[str] = set()
    for group in _collect(lines):
        if not group.tasks and not group.results:
            continue
        prefix, n_dup = f"N{group.number}", 1
        while prefix in prefixes:  # a group number used twice: keep codes unique
            n_dup += 1
            prefix = f"N{group.number}-{n_dup}"
        prefixes.add(prefix)
        if group.name not in result.sections:
            result.sections.append(group.name)
        group_leads: list[str] = []
        for n, task in enumerate(group.tasks, 1):
            leads_a, partners_a = _units(task.leads)
            leads_b, partners_b = _units(task.partners)
            leads = _dedupe(leads_a)
            partners = _dedupe(partners_a + leads_b + partners_b, leads)
            group_leads = _dedupe(group_leads + leads)
            due, detail = _pick_due(task, year)
            result.tasks.append(ParsedTask(
                code=f"{prefix}.{n}", section=group.name, title=" ".join(task.title).strip(),
                lead_units=leads, partner_units=partners, due=due, detail=detail,
            ))
        for k, parts in enumerate(group.results, 1):
            text = " ".join(parts).strip()
            # read like a prose target ("… trong quý II/2026", "Hình thành 01 mô hình …"); a result with
            # nothing measurable stays, as a qualitative result reported by its status
            target = sentence_target(text.rstrip(".;")) or parse_target(text.rstrip(".;"))
            result.indicators.append(ParsedIndicator(
                code=f"{prefix}.KQ{k}", section=group.name, name=text,
                unit=target.unit, target=target, due=sentence_due(text, year),
                owner_units=list(group_leads) if len(group_leads) == 1 else [],  # several: nobody's own
            ))
    return result
