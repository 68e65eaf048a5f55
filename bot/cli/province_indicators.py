"""`cdsbot province indicators import|add|list|match|show`: a province's shared indicator list, the
match of each commune's indicators to it, and each shared target across the communes (issue #19)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage.db import Database

__all__ = ["add_indicator_commands"]


def _num(v: Any) -> float | int | None:
    if v is None:
        return None
    f = float(v)
    return int(f) if f.is_integer() else f


def _listed(rows: list) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    return [{"code": r.code, "name": r.name, "unit": r.unit, "target": r.target_text, "op": r.target_op,
             "value": _num(r.target_value)} for r in rows]


async def _import(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.province import get_or_create_province
    from storage.shared_indicators import import_province_indicators, read_province_list

    path = Path(args.file)
    parsed = read_province_list(path)  # ImportFailed before any write

    async def run(db: Database) -> int:
        async with db.transaction() as s:
            province = await get_or_create_province(s, args.province)
            res = await import_province_indicators(s, province, parsed, source_file=path.name)
            out = {"province": province.name, "indicators": len(parsed), "created": res.created,
                   "updated": res.updated, "removed": res.removed}
        if args.json:
            print_json(out)
        else:
            print(f"{out['province']}: {len(parsed)} indicator(s); created {len(res.created)}, "
                  f"changed {len(res.updated)}, removed {len(res.removed)}"
                  + (f" ({', '.join(res.removed)}: their matches too)" if res.removed else ""))
        return 0

    return await with_db(run)


async def _add(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.errors import CdsbotError
    from storage.plan_import.model import ParsedIndicator
    from storage.plan_import.phrases import parse_target
    from storage.province import get_or_create_province
    from storage.shared_indicators import add_province_indicator

    if not args.code.strip() or not args.name.strip():
        raise CdsbotError("an indicator needs a --code and a --name")
    parsed = ParsedIndicator(args.code.strip(), None, " ".join(args.name.split()), args.unit,
                             parse_target(args.target or "", args.unit))

    async def run(db: Database) -> int:
        async with db.transaction() as s:
            province = await get_or_create_province(s, args.province)
            row = await add_province_indicator(s, province, parsed)
            out = _listed([row])[0]
        if args.json:
            print_json(out)
        else:
            print(f"{out['code']}: {out['name']} ({out['unit'] or '-'}, target {out['target'] or '-'})")
        return 0

    return await with_db(run)


async def _list(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.province import require_province
    from storage.shared_indicators import province_indicators

    async def run(db: Database) -> int:
        async with db.session() as s:
            province = await require_province(s, args.province)
            rows = _listed(await province_indicators(s, province.id))  # type: ignore[arg-type]
        if args.json:
            print_json(rows)
        else:
            for r in rows:
                print(f"{r['code']}. {r['name']} [{r['unit'] or '-'}] target {r['target'] or '-'}")
            if not rows:
                print("no indicator yet (cdsbot province indicators import FILE --province NAME)")
        return 0

    return await with_db(run)


def _pair(text: str) -> tuple[str, str]:
    from storage.errors import CdsbotError

    ref, sep, code = text.rpartition("=")
    if not sep or not ref.strip() or not code.strip():
        raise CdsbotError(f"{text!r}: write COMMUNE:CODE=PROVINCE_CODE, e.g. \"Tiêu Cần:V.4=CT1\"")
    return ref.strip(), code.strip()


async def _match(args: argparse.Namespace) -> int:
    from bot.cli.common import print_json, with_db
    from storage.province import require_province
    from storage.shared_indicators import (
        confirm_match,
        confirmed_matches,
        decide_auto,
        reject_match,
        suggestions,
    )

    pairs = [("confirm", *_pair(p)) for p in args.confirm or []] + [("reject", *_pair(p)) for p in args.reject or []]
    by = f"cli:{args.by.strip()}" if args.by and args.by.strip() else "cli"

    async def run(db: Database) -> int:
        async with db.transaction() as s:
            province = await require_province(s, args.province)
            pid: int = province.id  # type: ignore[assignment]
            done = []
            for what, ref, code in pairs:
                decide = confirm_match if what == "confirm" else reject_match
                m = await decide(s, pid, ref, code, by=by)
                done.append({"action": what, "indicator": ref, "province_code": code, "score": m.score})
            if args.auto_above is not None:
                done += [{"action": "confirm", "indicator": a.item.ref, "province_code": a.target.code,
                          "score": a.score} for a in await decide_auto(s, pid, args.auto_above, by=by)]
            shown = [{"indicator": x.item.ref, "name": x.item.indicator.name, "unit": x.item.indicator.unit,
                      "province_code": x.target.code, "province_name": x.target.name, "score": x.score,
                      "unit_differs": x.unit_differs} for x in await suggestions(s, pid)]
            confirmed = [{"indicator": x.ref, "name": x.indicator.name, "province_code": t.code,
                          "score": m.score, "by": m.decided_by, "at": m.decided_at.isoformat(),
                          "renamed_since": x.indicator.name != m.name_then}
                         for m, x, t in await confirmed_matches(s, pid)]
        if args.json:
            print_json({"province": args.province, "done": done, "suggestions": shown, "confirmed": confirmed})
            return 0
        for d in done:
            print(f"{d['action']}ed: {d['indicator']} = {d['province_code']}")
        print(f"suggestions ({len(shown)}), confirm with --confirm \"COMMUNE:CODE=PROVINCE_CODE\":")
        for x in shown:
            print(f"  {x['score']:.2f}  {x['indicator']}={x['province_code']}  {x['name'][:80]}"
                  + ("  [unit differs]" if x["unit_differs"] else ""))
        print(f"confirmed ({len(confirmed)}):")
        for c in confirmed:
            print(f"  {c['indicator']}={c['province_code']}  by {c['by']} at {c['at'][:16]}"
                  + ("  [renamed since]" if c["renamed_since"] else ""))
        return 0

    return await with_db(run)


async def _show(args: argparse.Namespace) -> int:
    from bot.cli.common import cli_services, print_json, with_db
    from bot.config import load_settings
    from handlers.exports.gather import resolve_periods
    from handlers.shared_indicators import shared_indicator_table, table_as_json
    from storage.calendar.commune_streams import commune_streams
    from storage.province import require_province

    tz = load_settings().timezone
    now = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    now = now if now.tzinfo else now.replace(tzinfo=tz)

    async def run(db: Database) -> int:
        async with db.session() as s:
            province = await require_province(s, args.province)
            streams = (await commune_streams(s, cli_services(db), None)).streams  # the deployment's
            try:
                up, _vp = resolve_periods(args.period, now, tz, streams)
            except ValueError:
                print(f"error: cannot read period {args.period!r} (use e.g. 2026-12 or 'tháng 12')", file=sys.stderr)
                return 2
            rows = await shared_indicator_table(s, province.id, up,  # type: ignore[arg-type]
                                                min(now.astimezone(tz).date(), up.end))
        if args.json:
            print_json({"province": province.name, "period": up.key, "indicators": table_as_json(rows)})
            return 0
        print(f"{province.name} {up.key}:")
        for r in rows:
            print(f"{r.code}. {r.name} (target {r.target_short or '-'}): {r.on_track}/{len(r.communes)} on track"
                  + (f"; not matched: {', '.join(r.unmatched)}" if r.unmatched else ""))
            for c in r.communes:
                value = "-" if c.value is None else f"{_num(c.value)}"
                print(f"  {c.commune} {c.code}: {value} / {c.target_short or '-'} ({c.province_assessment})")
        return 0

    return await with_db(run)


def add_indicator_commands(pro: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ind = pro.add_parser("indicators", help="the province's shared indicators and their match to communes' plans")
    sub = ind.add_subparsers(dest="what", required=True)
    im = sub.add_parser("import", help="import the province's list (.xlsx .csv .docx .txt: code, name, unit, target)")
    im.add_argument("file")
    ad = sub.add_parser("add", help="add (or change) one indicator of the list")
    ad.add_argument("--code", required=True)
    ad.add_argument("--name", required=True)
    ad.add_argument("--unit")
    ad.add_argument("--target", help="as in a plan: '≥ 90', '100', 'Đạt'")
    ls = sub.add_parser("list", help="the province's list")
    ma = sub.add_parser("match", help="suggested matches with scores; confirm or reject them")
    ma.add_argument("--confirm", action="append", metavar="COMMUNE:CODE=PCODE")
    ma.add_argument("--reject", action="append", metavar="COMMUNE:CODE=PCODE")
    ma.add_argument("--auto-above", type=float, metavar="SCORE",
                    help="confirm every suggestion scoring at least this (0-1) with the same unit")
    ma.add_argument("--by", help="who decides (recorded with the time; default: cli)")
    sh = sub.add_parser("show", help="each shared target across the communes for a period")
    sh.add_argument("--period", help="period key (2026-12) or words ('tháng 12')")
    sh.add_argument("--at", help="pretend the time is this ISO datetime (for checks and tests)")
    for p, fn in ((im, _import), (ad, _add), (ls, _list), (ma, _match), (sh, _show)):
        p.add_argument("--province", required=True)
        p.add_argument("--json", action="store_true")
        p.set_defaults(fn=fn)
