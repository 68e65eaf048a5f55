"""`cdsbot status`, `reminders preview|sweep` and `export`: what the lead office reads, from the command line."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import UTC, datetime

__all__ = ["add_report_commands"]


async def _status(args: argparse.Namespace) -> int:
    from bot.cli.common import cli_services, print_json, with_db
    from storage.calendar.calendar import period_by_key
    from storage.calendar.commune_streams import commune_streams
    from storage.calendar.period_ref import parse_period_ref
    from storage.status import status_data
    from storage.units import require_commune

    async def run(db) -> int:  # noqa: ANN001
        from bot.config import load_settings

        tz = load_settings().timezone
        services = cli_services(db)
        async with db.session() as s:  # the commune's own deadlines; the province view uses the defaults
            commune = await require_commune(s, args.commune) if args.commune else None
            table = await commune_streams(s, services, commune.id if commune else None)
        streams = {st.name: st for st in table.streams}
        now = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=tz)
        unit_stream, village_stream = streams["unit_monthly"], streams["village_monthly"]
        if args.period:
            try:
                up = period_by_key(unit_stream, args.period, tz)
            except ValueError:
                up = parse_period_ref(args.period, unit_stream, now.astimezone(tz).date(), tz)
            if up is None:
                print(f"error: cannot read period {args.period!r} (use e.g. 2026-12 or 'tháng 12')",
                      file=sys.stderr)
                return 2
            vp = period_by_key(village_stream, up.key, tz)
        else:  # the month the lead office is compiling, as its /tinhtrang (handlers.periods.lead_month)
            from handlers.exports.gather import compiled_stream, resolve_periods

            up, vp = resolve_periods(None, now, tz, list(streams.values()), compiled_stream(table))
        async with db.session() as s:
            if args.province:  # one province, in the national colours (storage.traffic, as in chat)
                return await _print_province(s, args, up, vp, now, tz)
            if args.commune is None:  # the whole province, one line per commune
                from storage.status import province_status

                rows = await province_status(s, up, vp, now)
                if args.json:
                    print_json({"period": {"key": up.key, "start": up.start.isoformat(),
                                            "end": up.end.isoformat()}, "communes": rows})
                else:
                    for r in rows:
                        print(r["commune"] + ": " + "; ".join(
                            f"{st['name']} {st['submitted']}/{st['expected']}" for st in r["streams"]))
                return 0
            assert commune is not None
            data = await status_data(s, commune, up, vp, now)
            data.update(await _plan_status(s, commune, up.key, now, tz, list(table.streams)))
        if args.json:
            print_json(data)
        else:
            for st in data["streams"]:
                print(f"{st['name']} {st['period']}: {st['submitted']}/{st['expected']} reported "
                      f"({st['on_time']} on time, {st['late']} late); missing: {', '.join(st['missing']) or '-'}"
                      + (f"; returned: {', '.join(st['returned'])}" if st["returned"] else ""))
            print("activities:", ", ".join(f"{k}={v}" for k, v in data["activities"]["total"].items()) or "-")
        return 0

    return await with_db(run)


async def _print_province(s, args: argparse.Namespace, up, vp, now: datetime, tz) -> int:  # noqa: ANN001
    from bot.cli.common import print_json
    from storage.province import require_province
    from storage.province_figures import plan_figures
    from storage.province_stream import province_month
    from storage.traffic import province_traffic

    if args.commune:
        print("error: give --province or --commune, not both", file=sys.stderr)
        return 2
    province = await require_province(s, args.province)
    if not args.period:  # the month the province office's /tinhtrang opens on
        up, vp = province_month(province.report_due_day, up.stream, vp.stream, now, tz)
    data = await province_traffic(s, province, up, vp, now, now.astimezone(tz).date())
    plans = await plan_figures(s, [r["commune_id"] for r in data["communes"]], up,  # as chat's questions
                               min(now.astimezone(tz).date(), up.end))
    for r in data["communes"]:
        f = plans[r["commune_id"]]
        r |= {"indicators": f["indicators"], "off_track_indicators": [code for code, _n in f["off_track"]],
              "overdue_task_codes": [code for code, _t, _d in f["overdue"]]}
    if args.json:
        print_json(data)
        return 0
    print(f"{data['province']} {up.key}:")
    for r in data["communes"]:
        print(f"  {r['colour']:6} {r['commune']}: units {r['units']['submitted']}/{r['units']['expected']}, "
              f"villages {r['villages']['submitted']}/{r['villages']['expected']}, "
              f"overdue tasks {r['overdue_tasks']}, off-track indicators {r['indicators']['off_track']}"
              + _compiled(r.get("compiled_report")))
    return 0


def _compiled(report: dict | None) -> str:
    """", compiled report on_time 2026-12-23" for a commune of `cdsbot status --province`."""
    if report is None:
        return ""
    when = report["sent_at"] or report["due"]
    return f", compiled report {report['state']} {when[:10]}"


async def _plan_status(session, commune, period_key: str, now: datetime, tz, configured=None) -> dict:  # noqa: ANN001
    """Indicator standing and overdue tasks for `cdsbot status --json`."""
    from handlers.exports.gather import gather_export

    data = await gather_export(session, commune, period_key, now, tz, configured)
    return {
        "indicators": [{"code": r.code, "name": r.name, "target": r.target_text,
                        "latest": r.latest_value if r.latest_value is not None else r.latest_achieved,
                        "answer": r.answer_kind, "result_status": r.latest_status, "result_text": r.latest_text,
                        "status": r.status} for r in data.indicators],
        "overdue_tasks": [{"code": t.code, "title": t.title,
                           "due": t.due_date.isoformat() if t.due_date else t.due_text,
                           "lead_units": t.lead_units} for t in data.tasks if t.overdue],
    }


async def _reminders_preview(args: argparse.Namespace) -> int:
    from bot.cli.common import cli_services, print_json, with_db
    from bot.config import load_settings
    from reminders.sweep import preview
    from storage.units import require_commune

    async def run(db) -> int:  # noqa: ANN001
        settings = load_settings()
        at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
        if at.tzinfo is None:
            at = at.replace(tzinfo=settings.timezone)
        services = cli_services(db)
        async with db.session() as s:
            commune = None
            if args.commune:
                commune = await require_commune(s, args.commune)
            planned = await preview(s, services, at, commune)
        if args.json:
            print_json([p.as_json() for p in planned])
        else:
            for p in planned:
                print(f"{p.stage:10} {p.stream:16} {p.period:8} {p.person} ({p.unit or '-'}) via {p.channel or 'nobody'}")
            print(f"{len(planned)} message(s)")
        return 0

    return await with_db(run)


async def _export(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from bot.cli.common import with_db, write_file
    from bot.config import load_settings
    from handlers.exports.data import as_json
    from handlers.exports.gather import gather_export
    from storage.units import require_commune

    out = Path(args.out)
    if out.is_dir() or not out.parent.is_dir():
        print(f"error: cannot write {args.out}: {'is a directory' if out.is_dir() else 'no such folder'}",
              file=sys.stderr)
        return 2
    at = _at(args)
    if at is None:
        return 2

    async def run(db) -> int:  # noqa: ANN001
        tz = load_settings().timezone
        now = at
        if now.tzinfo is None:
            now = now.replace(tzinfo=tz)
        from bot.cli.common import cli_services
        from handlers.exports.gather import compiled_stream
        from storage.calendar.commune_streams import commune_streams

        async with db.session() as s:  # the commune's deadlines over the deployment's (CDSBOT_STREAMS_FILE), as status
            commune = await require_commune(s, args.commune)
            found = await commune_streams(s, cli_services(db), commune.id)
            try:
                data = await gather_export(s, commune, args.period, now, tz, found.streams, compiled_stream(found))
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
        if args.format == "xlsx":
            from handlers.exports.xlsx import build_xlsx

            blob = build_xlsx(data)
        elif args.format == "docx":
            from handlers.exports.docx import build_docx

            blob = build_docx(data, party=args.party, number=args.number or "", signer=args.signer or "",
                              signer_title=args.signer_title or "")
        else:
            blob = json.dumps(as_json(data), ensure_ascii=False, indent=2).encode("utf-8")
        return 0 if write_file(out, blob) else 2

    return await with_db(run)


def _at(args: argparse.Namespace) -> datetime | None:
    """The export's moment: --at (ISO) or now; None after printing the error line."""
    try:
        return datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    except ValueError:
        print(f"error: --at {args.at!r} is not an ISO datetime (e.g. 2026-12-18T10:00+07:00)", file=sys.stderr)
        return None


async def _province_export(args: argparse.Namespace) -> int:
    """`cdsbot export --province P --out DIR`: the province workbook and the draft report, as /xuat sends
    them to the province office (the deployment's streams, storage.traffic's figures)."""
    from pathlib import Path

    from bot.cli.common import cli_services, with_db, write_file
    from bot.config import load_settings
    from handlers.exports.province_data import gather_province_export
    from handlers.exports.province_docx import build_province_docx
    from handlers.exports.province_xlsx import build_province_xlsx
    from handlers.province_export import province_file_stem
    from storage.calendar.calendar import period_by_key
    from storage.calendar.commune_streams import commune_streams
    from storage.calendar.period_ref import parse_period_ref
    from storage.province import require_province
    from storage.province_stream import province_month

    if args.commune or args.format:
        print("error: --province writes both files into --out DIR; give no --commune or --format", file=sys.stderr)
        return 2
    out = Path(args.out)
    if not out.is_dir():
        print(f"error: {args.out} is not a folder (--out names the folder for the two files)", file=sys.stderr)
        return 2
    at = _at(args)
    if at is None:
        return 2

    async def run(db) -> int:  # noqa: ANN001
        tz = load_settings().timezone
        now = at if at.tzinfo else at.replace(tzinfo=tz)
        services = cli_services(db)
        async with db.session() as s:
            province = await require_province(s, args.province)
            streams = {st.name: st for st in (await commune_streams(s, services, None)).streams}
            unit_stream = streams["unit_monthly"]
            if args.period:
                try:
                    up = period_by_key(unit_stream, args.period, tz)
                except ValueError:
                    up = parse_period_ref(args.period, unit_stream, now.astimezone(tz).date(), tz)
                if up is None:
                    print(f"error: cannot read period {args.period!r} (use e.g. 2026-12 or 'tháng 12')",
                          file=sys.stderr)
                    return 2
            else:  # the month the province office's /xuat opens on
                up = province_month(province.report_due_day, unit_stream, streams["village_monthly"], now, tz)[0]
            vp = period_by_key(streams["village_monthly"], up.key, tz)
            data = await gather_province_export(s, province, up, vp, now, tz, services.activity_catalog())
        stem = out / province_file_stem(data.period_key)
        for path, blob in ((stem.with_suffix(".xlsx"), build_province_xlsx(data)),
                           (stem.with_suffix(".docx"), build_province_docx(
                               data, sender=args.sender or "so", number=args.number or "",
                               signer=args.signer or "", signer_title=args.signer_title or ""))):
            if not write_file(path, blob):
                return 2
        return 0

    return await with_db(run)


async def _export_any(args: argparse.Namespace) -> int:
    if args.province:
        return await _province_export(args)
    if not args.commune or not args.format:
        print("error: give --commune NAME --format xlsx|docx|json, or --province NAME", file=sys.stderr)
        return 2
    return await _export(args)


async def _reminders_sweep(args: argparse.Namespace) -> int:
    from bot.app import BotApp
    from bot.config import load_settings
    from reminders.sweep import run_sweep

    settings = load_settings()
    at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=settings.timezone)
    bot = BotApp.build(replace(settings, telegram_token=None, zalo_token=None))
    try:
        await bot.db.upgrade()
        queued = await run_sweep(bot, at)
    finally:
        await bot.db.dispose()
    print(f"queued {queued} reminder(s); the running bot sends them")
    return 0


def add_report_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register subcommands that live outside the core CLI module."""
    st = sub.add_parser("status", help="who has reported for a period, activity totals")
    st.add_argument("--commune", help="one commune (default: every commune of the province, summarised)")
    st.add_argument("--province", help="one province: its communes ranked laggards first, in the three colours")
    st.add_argument("--period", help="period key (2026-12) or words ('tháng 12')")
    st.add_argument("--at", help="pretend the time is this ISO datetime (for checks and tests)")
    st.add_argument("--json", action="store_true")
    st.set_defaults(fn=_status)

    rem = sub.add_parser("reminders", help="deadline reminders").add_subparsers(dest="sub", required=True)
    pv = rem.add_parser("preview", help="what a sweep at a moment would send, without sending")
    pv.add_argument("--at", help="ISO datetime, e.g. 2026-12-17T08:00+07:00 (default: now)")
    pv.add_argument("--commune")
    pv.add_argument("--json", action="store_true")
    pv.set_defaults(fn=_reminders_preview)
    sw = rem.add_parser("sweep", help="run a reminder sweep now (claims and queues; the bot sends)")
    sw.add_argument("--at", help="ISO datetime to sweep as (default: now)")
    sw.set_defaults(fn=_reminders_sweep)

    ex = sub.add_parser("export", help="monthly export: XLSX workbook, DOCX draft Báo cáo or JSON; with "
                                       "--province the province workbook and report into --out DIR")
    ex.add_argument("--commune")
    ex.add_argument("--province", help="the province office's workbook and draft report (both, into --out DIR)")
    ex.add_argument("--sender", choices=("so", "ubnd", "bcd"),
                    help="--province report sent by Sở KH&CN (default), UBND tỉnh or Ban Chỉ đạo 57 tỉnh")
    ex.add_argument("--period", help="period key (2026-12) or words ('tháng 12'); default: the month whose "
                                    "compiled report is due to the People's Committee (as /xuat)")
    ex.add_argument("--at", help="pretend the time is this ISO datetime (for checks and tests)")
    ex.add_argument("--format", choices=("xlsx", "docx", "json"))
    ex.add_argument("--party", action="store_true", help="DOCX in the Party layout (Hướng dẫn 36-HD/VPTW)")
    ex.add_argument("--number", help="document number for the DOCX, e.g. 05")
    ex.add_argument("--signer", help="signer's name for the DOCX")
    ex.add_argument("--signer-title", help="signer's title, e.g. 'PHÓ CHỦ TỊCH' or 'TRƯỞNG BAN'")
    ex.add_argument("--out", required=True, help="file to write (with --province: the folder)")
    ex.set_defaults(fn=_export_any)
