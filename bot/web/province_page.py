"""The dashboard's province page: communes × months in Xanh/Vàng/Đỏ, the ranking and charts, read-only.

Every month's figures come from ``storage.traffic.province_traffic_periods`` (all months read in the same
statements), each month as the province office's /tinhtrang tháng N gets it from ``province_traffic``, with
the real ``now`` and local ``today``. A past month's colour is therefore that month's obligations as they
stand today: its reports by their current state (sent late counts as sent, still missing after the deadline
is Đỏ), and its plan tasks judged on the month's last day with the progress reported for that month or
earlier (``commune_traffic``'s ``as_of = min(today, period end)``). A closed month's activity-log figures
(village teams' first logs, activity totals) come from the roll-up (``storage.log_rollup``): the same
figures as the logs give, kept up to date by every write, filled on the first view of the month.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.web.access import PROVINCE_COOKIE, read_province_token
from bot.web.dashboard import _HEADERS, STATIC, Dashboard, _dumps
from handlers.activity.catalog import default_catalog
from handlers.periods import rollup_closed_before, stream_named
from handlers.services import Services
from locales.i18n import N_, _, use_locale
from storage.calendar import calendar as cal
from storage.models import Province
from storage.province_stream import province_month
from storage.traffic import COLOURS, province_traffic_periods

__all__ = ["MAX_MONTHS", "PROVINCE_PAGE", "ProvincePage", "province_overview"]

MAX_MONTHS, DEFAULT_MONTHS = 12, 6
PROVINCE_PAGE: web.AppKey[ProvincePage] = web.AppKey("province_page")
_LABELS = {"red": N_("Red"), "yellow": N_("Yellow"), "green": N_("Green")}
_RULE = N_("Red: a task past due and not done, or reports (or the commune's compiled report to the "
           "province) missing after the deadline. Yellow: a task due within 7 days and not done, or "
           "reports still missing before the deadline. Green: otherwise.")
_REFUSED = ("<p>Liên kết đăng nhập không hợp lệ hoặc đã hết hạn.</p>"
            "<p>Hãy đề nghị quản trị viên gửi một liên kết mới (lệnh "
            "<code>cdsbot web link --province &lt;tên tỉnh&gt;</code>).</p>")
_FIGURES = ("units", "villages", "overdue_tasks", "due_soon_tasks", "missing_after_deadline",
            "missing_before_deadline")


async def _months(session: AsyncSession, services: Services, province: Province, now: datetime, n: int
                  ) -> list[tuple[cal.Period, cal.Period]]:
    """(unit period, village period) of the ``n`` months ending with the one the province view opens on at
    ``now`` (``storage.province_stream.province_month``, as its /tinhtrang), oldest first: the deployment's
    streams, the province view's one calendar (as handlers.province)."""
    unit_stream = await stream_named(session, services, None, "unit_monthly")
    village_stream = await stream_named(session, services, None, "village_monthly")
    ups = [province_month(province.report_due_day, unit_stream, village_stream, now, services.tz)[0]]
    while len(ups) < n:
        ups.insert(0, cal.previous_period(ups[0]))
    return [(up, cal.period_by_key(village_stream, up.key, services.tz)) for up in ups]


def _cell(row: dict[str, Any], key: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"month": key, "colour": row["colour"], "label": labels[row["colour"]]} | {k: row[k] for k in _FIGURES}


async def province_overview(session: AsyncSession, services: Services, province: Province, months: int,
                            now: datetime) -> dict[str, Any]:
    """The page's JSON: the grid (rows in the newest month's ranking), the ranking, per-month colour counts
    and the province's village activities with the period before each month (closed months' activity-log
    figures from the roll-up, ``storage.log_rollup``)."""
    today = now.astimezone(services.tz).date()
    periods = await _months(session, services, province, now, months)
    per_month = list(zip([up for up, _vp in periods],  # every month in the same batched statements
                         await province_traffic_periods(session, province, periods, now, today,
                                                        rollup_closed_before(services, now),
                                                        commune_activities=False), strict=True))
    newest = per_month[-1][1]["communes"]
    labels = {c: _(_LABELS[c]) for c in COLOURS}  # translated once, not per cell
    cells: dict[int, list[dict[str, Any]]] = {r["commune_id"]: [] for r in newest}
    by_month = []
    for up, data in per_month:
        for r in data["communes"]:
            cells.setdefault(r["commune_id"], []).append(_cell(r, up.key, labels))
        counts = {c: sum(r["colour"] == c for r in data["communes"]) for c in COLOURS}
        by_month.append({"month": up.key, "label": up.label_vi, "counts": counts,
                         "activities": data["activities"], "activities_previous": data["activities_previous"],
                         "activity_total": sum(data["activities"].values()),
                         "previous_total": sum(data["activities_previous"].values())})
    names = {r["commune_id"]: r["commune"] for r in newest}
    codes = {c for m in by_month for part in ("activities", "activities_previous") for c in m[part]}
    catalog = {a.code: a.label_vi for a in default_catalog()}
    return {
        "province": {"id": province.id, "name": province.name},
        "months": [{"key": up.key, "label": up.label_vi, "start": up.start.isoformat(), "end": up.end.isoformat(),
                    "due": up.due.isoformat(), "open": i == len(periods)}  # the newest: the one open now
                   for i, (up, _vp) in enumerate(periods, 1)],
        "colours": [{"colour": c, "label": labels[c]} for c in COLOURS],
        "rule": _(_RULE),
        "grid": [{"commune_id": cid, "commune": names[cid], "cells": cells[cid]} for cid in names],
        "ranking": [{"rank": i, "commune_id": r["commune_id"], "commune": r["commune"], "colour": r["colour"],
                     "label": labels[r["colour"]]} | {k: r[k] for k in _FIGURES}
                    for i, r in enumerate(newest, 1)],
        "by_month": by_month,
        "activity_labels": {c: catalog.get(c, c) for c in sorted(codes)},
        "generated_at": now.astimezone(services.tz).isoformat(timespec="minutes"),
    }


class ProvincePage:  # (the mounted page is app[PROVINCE_PAGE], for the benchmark's cold calls)
    """Mounts `/dashboard/province` and `/dashboard/api/province/{id}/overview` beside the commune pages,
    reusing their secret, headers and refusal page (``dashboard``: the mounted ``Dashboard``)."""

    def __init__(self, dashboard: Dashboard) -> None:
        self.dash = dashboard
        self.services: Services = dashboard.services

    def mount(self, app: web.Application) -> None:
        app[PROVINCE_PAGE] = self
        r = app.router
        r.add_get("/dashboard/province", self._page)
        r.add_get("/dashboard/province/logout", self._logout)
        r.add_get("/dashboard/api/province/{id}/overview", self._overview)

    async def _province(self, token: str | None) -> tuple[Province, datetime] | None:
        found = read_province_token(self.dash.secret, token, self.services.now())
        if found is None:
            return None
        async with self.services.db.session() as s:
            province = await s.get(Province, found[0])
        return (province, found[1]) if province is not None else None

    def _refuse(self, request: web.Request, status: int = 403) -> web.Response:
        resp = self.dash._denied(status, body=_REFUSED)
        resp.del_cookie(PROVINCE_COOKIE, path=self.dash.cookie_path)
        return resp

    async def _page(self, request: web.Request) -> web.Response:
        token = request.query.get("t")
        who = await self._province(token if token is not None else request.cookies.get(PROVINCE_COOKIE))
        if who is None:
            return self._refuse(request)
        if token is None:
            html = (STATIC / "province.html").read_text(encoding="utf-8")
            return web.Response(text=html.replace("{province_id}", str(who[0].id)), content_type="text/html",
                                headers=_HEADERS)
        resp = web.Response(status=303, headers={**_HEADERS, "Location": "province"})
        secure = request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"
        max_age = max(1, int((who[1] - self.services.now()).total_seconds()))
        resp.set_cookie(PROVINCE_COOKIE, token, max_age=max_age, path=self.dash.cookie_path, httponly=True,
                        secure=secure, samesite="Lax")
        return resp

    async def _logout(self, _request: web.Request) -> web.Response:
        resp = self.dash._denied(200, "Đã đăng xuất", "<p>Bạn đã đăng xuất khỏi bảng theo dõi của tỉnh. Mở lại "
                                                      "liên kết đăng nhập (nếu còn hạn) để xem tiếp.</p>")
        resp.del_cookie(PROVINCE_COOKIE, path=self.dash.cookie_path)
        return resp

    async def _overview(self, request: web.Request) -> web.Response:
        def error(status: int, text: str) -> web.Response:
            return web.json_response({"error": text}, status=status, headers=_HEADERS)

        with use_locale("vi"):
            who = await self._province(request.cookies.get(PROVINCE_COOKIE))
            if who is None:
                return error(403, _("Your sign-in is not valid or has expired. Please open the sign-in link again."))
            if request.match_info["id"] != str(who[0].id):  # another province: not yours to read
                return error(403, _("This dashboard shows only your own province."))
            raw = request.query.get("months") or str(DEFAULT_MONTHS)
            if not raw.isdecimal() or not 1 <= int(raw) <= MAX_MONTHS:
                return error(400, _("The number of months must be between 1 and {n} (for example 6).",
                                    n=MAX_MONTHS))
            async with self.services.db.session() as s:
                body = await province_overview(s, self.services, who[0], int(raw), self.services.now())
        return web.json_response(body, headers=_HEADERS, dumps=_dumps)
