"""Shared indicators: a province's indicator list, the match of each commune indicator to it (suggested
by name similarity, confirmed or rejected by an operator, audited) and the facts behind the province's
view of each shared target (``handlers.shared_indicators`` adds the assessment)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales.textnorm import fold
from storage.errors import CdsbotError, ImportFailed
from storage.indicator_match import RELATIVE, SUGGEST_AT, Scorer, features, same_unit
from storage.models import AuditLog, Commune, Indicator, Plan, Province, utcnow
from storage.models_shared import IndicatorMatch, ProvinceIndicator
from storage.plan_import.model import ParsedIndicator

__all__ = ["CommuneIndicator", "ListResult", "Suggestion", "add_province_indicator", "commune_indicators",
           "confirm_match", "confirmed_matches", "decide_auto", "import_province_indicators",
           "province_indicators", "read_province_list", "reject_match", "suggestions"]


@dataclass(frozen=True)
class CommuneIndicator:
    commune: Commune
    plan: Plan
    indicator: Indicator

    @property
    def ref(self) -> str:
        """How an operator names it: "Tiêu Cần:V.4"."""
        return f"{self.commune.name}:{self.indicator.code}"


@dataclass
class ListResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Suggestion:
    item: CommuneIndicator
    target: ProvinceIndicator
    score: float
    unit_differs: bool


def read_province_list(path: Path) -> list[ParsedIndicator]:
    """The indicators of a province list file, read like a plan (.xlsx, .csv, .docx, .txt: a table with
    code, name, unit of measure and target columns). ImportFailed when the file holds none."""
    from storage.plan_import.parse import parse_plan_file

    found = parse_plan_file(path).indicators
    if not found:
        raise ImportFailed(f"{path.name}: no indicator table found (columns: Mã/TT, Chỉ tiêu, Đơn vị tính, "
                           "Mục tiêu)")
    return found


async def province_indicators(session: AsyncSession, province_id: int) -> list[ProvinceIndicator]:
    return list((await session.exec(select(ProvinceIndicator).where(ProvinceIndicator.province_id == province_id)
                                    .order_by(ProvinceIndicator.position, ProvinceIndicator.code))).all())


def _fill(row: ProvinceIndicator, parsed: ParsedIndicator) -> bool:
    """Copy ``parsed`` into ``row``; whether anything shown changed."""
    before = (row.name, row.unit, row.target_text)
    row.name, row.unit = " ".join(parsed.name.split()), parsed.unit
    row.target_text, row.target_op = parsed.target.text, parsed.target.op
    row.target_value, row.target_bool = parsed.target.value, parsed.target.boolean
    return before != (row.name, row.unit, row.target_text)


async def import_province_indicators(session: AsyncSession, province: Province, parsed: list[ParsedIndicator],
                                     source_file: str | None = None, now: datetime | None = None) -> ListResult:
    """Replace the province's list with ``parsed``: rows are kept by code (their matches with them),
    changed in place, and removed with their matches when the code is gone. Audited."""
    now = now or utcnow()
    old = {r.code: r for r in await province_indicators(session, province.id)}  # type: ignore[arg-type]
    result, seen = ListResult(), set()
    for pos, p in enumerate(parsed):
        if p.code in seen:
            raise ImportFailed(f"code {p.code!r} appears twice in the list")
        seen.add(p.code)
        row = old.get(p.code)
        made = row is None
        row = row or ProvinceIndicator(province_id=province.id, code=p.code, name=p.name)  # type: ignore[arg-type]
        changed = _fill(row, p)
        row.position, row.source_file, row.imported_at = pos, source_file, now
        session.add(row)
        if made:
            result.created.append(p.code)
        elif changed:
            result.updated.append(p.code)
    for code, row in old.items():
        if code not in seen:
            await session.exec(delete(IndicatorMatch).where(  # type: ignore[call-overload]
                IndicatorMatch.province_indicator_id == row.id))
            await session.delete(row)
            result.removed.append(code)
    session.add(AuditLog(at=now, action="province.indicators.import", target=f"province:{province.id}",
                         detail={"file": source_file, "created": result.created, "updated": result.updated,
                                 "removed": result.removed}))
    await session.flush()
    return result


async def add_province_indicator(session: AsyncSession, province: Province, parsed: ParsedIndicator,
                                 by: str = "cli") -> ProvinceIndicator:
    """Add one indicator to the list, or change the one with the same code. Audited."""
    rows = await province_indicators(session, province.id)  # type: ignore[arg-type]
    row = next((r for r in rows if r.code == parsed.code), None)
    made = row is None
    row = row or ProvinceIndicator(province_id=province.id, code=parsed.code, name=parsed.name,  # type: ignore[arg-type]
                                   position=len(rows))
    _fill(row, parsed)
    session.add(row)
    session.add(AuditLog(action="province.indicators.add" if made else "province.indicators.change",
                         target=f"province:{province.id}",
                         detail={"code": row.code, "name": row.name, "unit": row.unit, "target": row.target_text,
                                 "by": by}))
    await session.flush()
    return row


async def commune_indicators(session: AsyncSession, province_id: int) -> list[CommuneIndicator]:
    """Every indicator of every plan of the province's communes, by commune then plan order."""
    rows = (await session.exec(select(Commune, Plan, Indicator).join(Plan, Plan.commune_id == Commune.id)
                               .join(Indicator, Indicator.plan_id == Plan.id)
                               .where(Commune.province_id == province_id))).all()
    items = [CommuneIndicator(c, p, i) for c, p, i in rows]
    return sorted(items, key=lambda x: (fold(x.commune.name), x.plan.year, x.plan.title, x.indicator.position))


async def _decisions(session: AsyncSession, province_id: int) -> list[IndicatorMatch]:
    return list((await session.exec(select(IndicatorMatch).join(
        ProvinceIndicator, ProvinceIndicator.id == IndicatorMatch.province_indicator_id)
        .where(ProvinceIndicator.province_id == province_id))).all())


async def confirmed_matches(session: AsyncSession, province_id: int
                            ) -> list[tuple[IndicatorMatch, CommuneIndicator, ProvinceIndicator]]:
    """The confirmed matches of the province, by province indicator then commune."""
    items = {x.indicator.id: x for x in await commune_indicators(session, province_id)}
    targets = {t.id: t for t in await province_indicators(session, province_id)}
    out = [(m, items[m.indicator_id], targets[m.province_indicator_id])
           for m in await _decisions(session, province_id)
           if m.status == "confirmed" and m.indicator_id in items]
    return sorted(out, key=lambda t: (t[2].position, fold(t[1].commune.name), t[1].indicator.position))


async def suggestions(session: AsyncSession, province_id: int, at_least: float = SUGGEST_AT
                      ) -> list[Suggestion]:
    """For each commune indicator without a confirmed match: the province indicator its name is most
    like, when the pair scores ``at_least`` and was not rejected, and the commune has no clearly
    better-worded indicator for the same target (``RELATIVE``). Best first within each target."""
    targets = await province_indicators(session, province_id)
    items = await commune_indicators(session, province_id)
    if not targets or not items:
        return []
    decided = await _decisions(session, province_id)
    confirmed = {m.indicator_id for m in decided if m.status == "confirmed"}
    rejected = {(m.indicator_id, m.province_indicator_id) for m in decided if m.status == "rejected"}
    tf = {t.id: features(t.name) for t in targets}
    xf = {x.indicator.id: features(x.indicator.name) for x in items}
    scorer = Scorer([*tf.values(), *xf.values()])
    best: list[Suggestion] = []
    for x in items:
        if x.indicator.id in confirmed:
            continue
        scored = [(scorer.score(tf[t.id], xf[x.indicator.id], t.unit, x.indicator.unit), t) for t in targets
                  if (x.indicator.id, t.id) not in rejected]
        if not scored:
            continue
        score, t = max(scored, key=lambda s: (s[0], -s[1].position))
        if score >= at_least:
            best.append(Suggestion(x, t, score, same_unit(t.unit, x.indicator.unit) is False))
    top: dict[tuple[int, int], float] = {}
    for s in best:
        key = (s.target.id, s.item.commune.id)  # type: ignore[assignment]
        top[key] = max(top.get(key, 0.0), s.score)  # type: ignore[index]
    kept = [s for s in best if s.score >= RELATIVE * top[(s.target.id, s.item.commune.id)]]  # type: ignore[index]
    return sorted(kept, key=lambda s: (s.target.position, -s.score, fold(s.item.commune.name)))


async def _find_item(session: AsyncSession, province_id: int, ref: str) -> CommuneIndicator:
    commune, sep, code = ref.partition(":")
    if not sep or not commune.strip() or not code.strip():
        raise CdsbotError(f"{ref!r}: write COMMUNE:CODE, e.g. \"Tiêu Cần:V.4\"")
    from storage.units import commune_key

    hits = [x for x in await commune_indicators(session, province_id)
            if fold(x.commune.key) == fold(commune_key(commune)) and fold(x.indicator.code) == fold(code)]
    if not hits:
        raise CdsbotError(f"no indicator {code.strip()!r} in the plans of a commune {commune.strip()!r} "
                          "of this province")
    if len(hits) > 1:
        raise CdsbotError(f"{ref!r} is in {len(hits)} plans ({'; '.join(h.plan.title for h in hits)}): "
                          "give the code of one plan only")
    return hits[0]


async def _find_target(session: AsyncSession, province_id: int, code: str) -> ProvinceIndicator:
    for t in await province_indicators(session, province_id):
        if fold(t.code) == fold(code):
            return t
    raise CdsbotError(f"no province indicator {code.strip()!r} (see `cdsbot province indicators list`)")


async def _pair_score(session: AsyncSession, x: CommuneIndicator, t: ProvinceIndicator) -> float:
    """The pair's score as ``suggestions`` shows it (word weights from all the province's names; kept
    for the session, as several decisions are usually made in one go)."""
    key = ("shared_indicators.scorer", t.province_id)
    if key not in session.info:
        names = [r.name for r in await province_indicators(session, t.province_id)]
        names += [c.indicator.name for c in await commune_indicators(session, t.province_id)]
        session.info[key] = Scorer([features(n) for n in names])
    return session.info[key].score(features(t.name), features(x.indicator.name), t.unit, x.indicator.unit)


async def _decide(session: AsyncSession, x: CommuneIndicator, t: ProvinceIndicator, status: str, by: str,
                  person_id: int | None, now: datetime, score: float | None = None) -> IndicatorMatch:
    decided = (await session.exec(select(IndicatorMatch).where(
        IndicatorMatch.indicator_id == x.indicator.id))).all()
    before = next((m for m in decided if m.status == "confirmed"), None)
    if status == "confirmed" and before is not None and before.province_indicator_id != t.id:
        await session.delete(before)  # one confirmed match per commune indicator: the new one replaces it
        await session.flush()
    row = next((m for m in decided if m.province_indicator_id == t.id), None) or IndicatorMatch(
        indicator_id=x.indicator.id, province_indicator_id=t.id)  # type: ignore[arg-type]
    row.status, row.decided_by, row.decided_by_person_id, row.decided_at = status, by, person_id, now
    row.score = score if score is not None else await _pair_score(session, x, t)
    row.name_then = x.indicator.name
    session.add(row)
    session.add(AuditLog(at=now, actor_person_id=person_id, action=f"indicator.match.{status[:-2]}",
                         target=f"indicator:{x.indicator.id}",
                         detail={"commune": x.commune.name, "code": x.indicator.code, "province_code": t.code,
                                 "by": by, "replaced": before.province_indicator_id
                                 if before is not None and before.province_indicator_id != t.id else None}))
    await session.flush()
    return row


async def confirm_match(session: AsyncSession, province_id: int, ref: str, province_code: str, by: str = "cli",
                        person_id: int | None = None, now: datetime | None = None) -> IndicatorMatch:
    """Confirm that commune indicator ``ref`` ("COMMUNE:CODE") is province indicator ``province_code``
    (replacing another confirmed match of it). Audited with who and when."""
    x = await _find_item(session, province_id, ref)
    t = await _find_target(session, province_id, province_code)
    return await _decide(session, x, t, "confirmed", by, person_id, now or utcnow())


async def reject_match(session: AsyncSession, province_id: int, ref: str, province_code: str, by: str = "cli",
                       person_id: int | None = None, now: datetime | None = None) -> IndicatorMatch:
    """Record that ``ref`` is not ``province_code`` (never suggested again; undoes a confirmation). Audited."""
    x = await _find_item(session, province_id, ref)
    t = await _find_target(session, province_id, province_code)
    return await _decide(session, x, t, "rejected", by, person_id, now or utcnow())


async def decide_auto(session: AsyncSession, province_id: int, above: float, by: str = "cli",
                      now: datetime | None = None) -> list[Suggestion]:
    """Confirm every current suggestion scoring at least ``above``; the ones confirmed."""
    if not 0 < above <= 1:
        raise CdsbotError("--auto-above takes a score between 0 and 1, e.g. 0.9")
    done = [s for s in await suggestions(session, province_id) if s.score >= above and not s.unit_differs]
    for s in done:
        await _decide(session, s.item, s.target, "confirmed", f"auto ≥ {above} ({by})", None, now or utcnow(),
                      s.score)
    return done
