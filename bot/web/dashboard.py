"""Read-only lead-office dashboard on the shared web server: signed login links, summary, charts, exports."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.web.access import province_commune
from handlers.activity.catalog import default_catalog
from handlers.services import Services
from locales.i18n import _, use_locale
from storage.calendar import calendar as cal
from storage.calendar.commune_streams import commune_streams
from storage.errors import ConfigError
from storage.models import Commune
from storage.status import activity_totals, expected_units, stream_states

if TYPE_CHECKING:  # the export modules are imported when a page asks for them, not at start
    from handlers.exports.data import ExportData

__all__ = ["COOKIE", "SECRET_ENV", "Dashboard", "load_secret", "login_url", "make_token", "read_token",
           "recent_periods", "secret_file"]

SECRET_ENV, SECRET_NAME = "CDSBOT_WEB_SECRET", "web-secret"
COOKIE = "cdsbot_dash"
STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {"dashboard.css": "text/css", "dashboard.js": "text/javascript", "province.css": "text/css",
          "province.js": "text/javascript", "charts.js": "text/javascript"}  # charts.js: both pages' shared code
PERIODS, CHART_MONTHS = 12, 6
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_KEY_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff", "Content-Security-Policy": _CSP}
_DENIED = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:0;padding:24px;background:#eef1f5;color:#1c2430}}
main{{max-width:560px;margin:10vh auto;background:#fff;border-radius:12px;padding:20px 22px}}
h1{{font-size:20px;margin:0 0 10px}}p{{line-height:1.5}}code{{background:#eef1f5;padding:1px 4px}}</style>
</head><body><main><h1>{title}</h1>{body}</main></body></html>"""
_DENIED_BODY = ("<p>Liên kết đăng nhập không hợp lệ hoặc đã hết hạn.</p>"
                "<p>Hãy đề nghị quản trị viên gửi một liên kết mới (lệnh "
                "<code>cdsbot web link --commune &lt;tên xã&gt;</code>).</p>")


# --- the signing secret and login tokens --------------------------------------------------------
def secret_file(database_url: str) -> Path:
    """Where a generated secret lives: beside a SQLite database file, otherwise ./data/web-secret."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / SECRET_NAME
    return Path("data") / SECRET_NAME


def load_secret(database_url: str, env: Mapping[str, str] | None = None,
                env_file: str | Path | None = ".env") -> bytes:
    """CDSBOT_WEB_SECRET (environment, then `.env`), else a random secret created once in ``secret_file``."""
    values: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if env is None else env)
    raw = (values.get(SECRET_ENV) or "").strip()
    if raw:
        if len(raw) < 16:
            raise ConfigError(f"{SECRET_ENV}: use at least 16 characters")
        return raw.encode()
    path = secret_file(database_url)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{SECRET_NAME}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(tmp, path)  # atomic: the first process to get here wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    text = path.read_text(encoding="utf-8").strip()
    if len(text) < 16:
        raise ConfigError(f"{path}: the web secret is too short; delete the file to make a new one")
    return text.encode()


def _sign(secret: bytes, commune_id: int, expires: int) -> str:
    mac = hmac.new(secret, f"cdsbot-dashboard:{commune_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def make_token(secret: bytes, commune_id: int, expires: datetime) -> str:
    """"<commune id>.<expiry, unix seconds>.<HMAC-SHA256 of both>": a login link's ``t`` and the cookie."""
    stamp = int(expires.timestamp())
    return f"{commune_id}.{stamp}.{_sign(secret, commune_id, stamp)}"


def read_token(secret: bytes, token: str | None, now: datetime) -> tuple[int, datetime] | None:
    """(commune id, expiry) of a well-signed, unexpired token; None otherwise."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(token or "") > 200:
        return None
    commune_id, stamp = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(_sign(secret, commune_id, stamp).encode(), parts[2].encode()):
        return None
    expires = datetime.fromtimestamp(stamp, tz=now.tzinfo)
    return (commune_id, expires) if now < expires else None


def login_url(base_url: str, secret: bytes, commune_id: int, expires: datetime) -> str:
    return f"{base_url.rstrip('/')}/dashboard?{urlencode({'t': make_token(secret, commune_id, expires)})}"


def recent_periods(now: datetime, tz: Any, n: int = PERIODS, configured: Any = None,
                   compiled: str | None = "lead_monthly") -> list[cal.Period]:
    """The month the lead office is compiling at ``now`` (``handlers.periods.lead_month``; ``compiled``: the
    stream it compiles, ``handlers.exports.gather.compiled_stream``) and the ``n - 1`` before it, newest first."""
    from handlers.exports.gather import resolve_periods

    period = resolve_periods(None, now, tz, configured, compiled)[0]
    out = [period]
    while len(out) < n:
        out.append(cal.previous_period(out[-1]))
    return out


# --- the summary --------------------------------------------------------------------------------
async def _village_states(session: AsyncSession, commune: Commune, period: cal.Period, now: datetime
                          ) -> dict[str, str]:
    """Village name → on_time / late / pending / missing, by its first log of the period."""
    units = await expected_units(session, commune.id, "village", period.due)  # type: ignore[arg-type]
    return {st.name: st.state for st in await stream_states(session, commune, period, now, units)
            if st.state != "not_owed"}


def _streams(data: ExportData, villages: dict[str, str], unit_period: cal.Period, now: datetime
             ) -> list[dict[str, Any]]:
    out = []
    for s in data.streams:
        if s.name == unit_period.stream.name:
            waiting = "pending" if now <= unit_period.due else "missing"
            units = [{"name": r.unit, "state": r.state or ("late" if r.late else "on_time"), "review": r.status,
                      "comment": r.review_comment} for r in data.reports]
            units += [{"name": m, "state": waiting, "review": None} for m in s.missing]
            units.sort(key=lambda u: u["name"])
        else:
            units = [{"name": n, "state": st, "review": None} for n, st in villages.items()]
        out.append({"name": s.name, "label": s.label_vi, "period": s.period, "expected": s.expected,
                    "submitted": s.submitted, "on_time": s.on_time, "late": s.late, "missing": s.missing,
                    "returned": s.returned, "unlisted": s.unlisted,
                    "units": units})
    return out


def _summary_json(data: ExportData, villages: dict[str, str], unit_period: cal.Period, now: datetime,
                  periods: list[cal.Period]) -> dict[str, Any]:
    from handlers.exports.charts import percent_of_target
    from handlers.exports.data import fmt_value, task_counts

    tasks = task_counts(data.tasks)  # as the docx, the xlsx and the questions count them
    counts = {k: sum(i.status == k for i in data.indicators)
              for k in ("on_track", "at_risk", "off_track", "no_data")}
    return {
        "commune": data.commune,
        "period": {"key": data.period_key, "label": data.period_label, "previous_label": data.previous_label,
                   "start": data.window_start.isoformat(), "end": data.window_end.isoformat(),
                   "due_text": data.due_text},
        "periods": [{"key": p.key, "label": p.label_vi} for p in periods],
        "generated_at": data.generated_at.isoformat(timespec="minutes"),
        "streams": _streams(data, villages, unit_period, now),
        "indicators": {"counts": counts, "items": [
            {"code": i.code, "name": i.name, "status": i.status, "status_label": i.status_vi,
             "target": i.target_short, "target_text": i.target_text, "latest": fmt_value(i.latest_value, i.unit, i.latest_achieved, i.latest_status,
                                                          i.latest_text),
             "latest_value": i.latest_value, "percent_of_target": percent_of_target(i), "reported_in": i.reported_in,
             "owner_units": i.owner_units, "partner_units": i.partner_units,
             # owed by several units: the worst-off one's answer stands (storage.item_standing)
             "units": {"owed": i.units_owed, "reported": i.units_reported, "worst": i.worst_unit,
                       "missing": i.missing_units} if i.units_owed > 1 else None, "no_unit": i.no_unit}
            for i in data.indicators]},
        "activities": {
            "total": [{"code": a.code, "label": a.label, "count": a.count, "previous": a.previous,
                       "change": a.count - a.previous} for a in data.activity_totals],
            "by_village": [{"village": a.village, "code": a.code, "label": a.label, "count": a.count,
                            "previous": a.previous} for a in data.activities]},
        "tasks": {"total": len(data.tasks), "done": tasks["done"], "overdue": tasks["overdue"],
                  "no_unit": tasks["no_unit"],
                  # the national colours of the tasks (storage.deadlines.task_light)
                  "lights": {c: sum(t.light == c for t in data.tasks) for c in ("red", "yellow", "green")}},
        "overdue_tasks": [{"code": t.code, "title": t.title, "due_text": t.due_text,
                           "due": t.due_date.isoformat() if t.due_date else None, "lead_units": t.lead_units,
                           "status_label": t.status_vi, "section": t.section, "output": t.output,
                           "units": {"owed": t.units_owed, "done": t.units_done} if t.units_owed > 1 else None}
                          for t in data.tasks if t.overdue],
        "due_soon_tasks": [{"code": t.code, "title": t.title, "due": t.due_date.isoformat() if t.due_date else None,
                            "lead_units": t.lead_units, "status_label": t.status_vi, "section": t.section,
                            "output": t.output}
                           for t in data.tasks if t.light == "yellow"],
        # plan items no unit can report (storage.no_unit): what the plan named, so the office can add the unit
        "no_unit": data.no_unit,
        "reports": [{"unit": r.unit, "person": r.person,
                     "submitted_at": r.submitted_at.isoformat(timespec="minutes"), "late": r.late,
                     "status": r.status, "state": r.state, "revision": r.revision} for r in data.reports],
    }


# --- the web routes -----------------------------------------------------------------------------
class Dashboard:
    """Mounts `/dashboard…`; everything but the login link and static files needs the signed cookie."""

    def __init__(self, services: Services, *, secret: bytes | None = None,
                 public_url: str | None = None) -> None:
        self.services = services
        self._secret = secret
        self.cookie_path = (urlsplit(public_url).path.rstrip("/") if public_url else "") + "/dashboard"

    @property
    def secret(self) -> bytes:
        """Resolved on first use, so apps that never serve the dashboard never create a secret file."""
        if self._secret is None:
            self._secret = load_secret(self.services.db.url)
        return self._secret

    def mount(self, app: web.Application) -> None:
        self.services.extra["dashboard"] = self
        r = app.router
        r.add_get("/dashboard", self._page)
        r.add_get("/dashboard/logout", self._logout)
        r.add_get("/dashboard/static/{name}", self._asset)
        r.add_get("/dashboard/api/summary", self._summary)
        r.add_get("/dashboard/chart/activities.png", self._activities_png)
        r.add_get("/dashboard/chart/indicators.png", self._indicators_png)
        r.add_get("/dashboard/export.xlsx", self._export)
        r.add_get("/dashboard/export.docx", self._export)

    # auth
    def _denied(self, status: int = 403, title: str = "Không mở được bảng theo dõi",
                body: str = _DENIED_BODY) -> web.Response:
        resp = web.Response(text=_DENIED.format(title=title, body=body), status=status,
                            content_type="text/html", headers=_HEADERS)
        resp.del_cookie(COOKIE, path=self.cookie_path)
        return resp

    async def _commune(self, request: web.Request, token: str | None = None
                       ) -> tuple[Commune, datetime] | None:
        if token is None and "commune" in request.query:  # a province office opening one of its communes
            commune = await province_commune(self.services, self.secret, request, request.query["commune"])
            return None if commune is None else (commune, self.services.now())
        token = token if token is not None else request.cookies.get(COOKIE)
        if not token:
            return None
        found = read_token(self.secret, token, self.services.now())
        if found is None:
            return None
        async with self.services.db.session() as s:
            commune = await s.get(Commune, found[0])
        return (commune, found[1]) if commune is not None else None

    async def _page(self, request: web.Request) -> web.Response:
        token = request.query.get("t")
        who = await self._commune(request, token)
        if who is None:
            return self._denied()
        if token is None:
            return web.Response(text=(STATIC / "dashboard.html").read_text(encoding="utf-8"),
                                content_type="text/html", headers=_HEADERS)
        # a valid link: keep the token in an HttpOnly cookie and drop it from the address bar
        resp = web.Response(status=303, headers={**_HEADERS, "Location": "dashboard"})
        secure = request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"
        max_age = max(1, int((who[1] - self.services.now()).total_seconds()))
        resp.set_cookie(COOKIE, token, max_age=max_age, path=self.cookie_path, httponly=True, secure=secure,
                        samesite="Lax")
        return resp

    async def _logout(self, _request: web.Request) -> web.Response:
        return self._denied(200, "Đã đăng xuất", "<p>Bạn đã đăng xuất khỏi bảng theo dõi. Mở lại liên kết "
                                                  "đăng nhập (nếu còn hạn) để xem tiếp.</p>")

    async def _asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in ASSETS:
            raise web.HTTPNotFound()
        return web.Response(body=(STATIC / name).read_bytes(), content_type=ASSETS[name],
                            charset="utf-8", headers={"Cache-Control": "no-cache"})

    async def _data(self, request: web.Request) -> tuple[Commune, str | None] | web.Response:
        who = await self._commune(request)
        if who is None:
            if request.path.startswith("/dashboard/api/"):
                return web.json_response({"error": "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Hãy mở lại "
                                                   "liên kết đăng nhập."}, status=403, headers=_HEADERS)
            return self._denied()
        key = request.query.get("period") or None
        if key is not None and not _KEY_RE.match(key):
            return web.json_response({"error": f"Kỳ báo cáo không hợp lệ: {key[:20]!r} (ví dụ 2026-12)."},
                                     status=400, headers=_HEADERS)
        return who[0], key

    async def _summary(self, request: web.Request) -> web.Response:
        from handlers.exports.gather import compiled_stream, gather_export, resolve_periods

        got = await self._data(request)
        if isinstance(got, web.Response):
            return got
        commune, key = got
        now, tz = self.services.now(), self.services.tz
        async with self.services.db.session() as s:
            found = await commune_streams(s, self.services, commune.id)
            configured, compiled = found.streams, compiled_stream(found)
            data = await gather_export(s, commune, key, now, tz, configured, compiled)
            unit_period, village_period = resolve_periods(data.period_key, now, tz, configured)
            villages = await _village_states(s, commune, village_period, now)
        body = _summary_json(data, villages, unit_period, now, recent_periods(now, tz, configured=configured,
                                                                              compiled=compiled))
        return web.json_response(body, headers=_HEADERS, dumps=_dumps)

    async def _activities_png(self, request: web.Request) -> web.Response:
        from handlers.exports.charts import activity_chart
        from handlers.exports.gather import resolve_periods

        got = await self._data(request)
        if isinstance(got, web.Response):
            return got
        commune, key = got
        async with self.services.db.session() as s:
            configured = (await commune_streams(s, self.services, commune.id)).streams
            period = resolve_periods(key, self.services.now(), self.services.tz, configured)[1]
            periods = [period]
            while len(periods) < CHART_MONTHS:
                periods.insert(0, cal.previous_period(periods[0]))
            totals = [(await activity_totals(s, commune.id, p))[0] for p in periods]  # type: ignore[arg-type]
        labels = {a.code: a.label_vi for a in default_catalog()}
        codes = sorted({c for t in totals for c in t}, key=lambda c: (-sum(t.get(c, 0) for t in totals), c))
        series = {labels.get(c, c): [t.get(c, 0) for t in totals] for c in codes}
        with use_locale("vi"):
            title = _("Village activities per month — {commune}", commune=commune.name)
        png = activity_chart(title, [f"{p.key[5:]}/{p.key[:4]}" for p in periods], series)
        return web.Response(body=png, content_type="image/png", headers=_HEADERS)

    async def _export_data(self, request: web.Request) -> ExportData | web.Response:
        """The period's export data for the signed-in commune, or the refusal to send back."""
        from handlers.exports.gather import compiled_stream, gather_export

        got = await self._data(request)
        if isinstance(got, web.Response):
            return got
        commune, key = got
        async with self.services.db.session() as s:
            found = await commune_streams(s, self.services, commune.id)
            return await gather_export(s, commune, key, self.services.now(), self.services.tz, found.streams,
                                       compiled_stream(found))

    async def _indicators_png(self, request: web.Request) -> web.Response:
        from handlers.exports.charts import indicator_bars, indicator_chart

        data = await self._export_data(request)
        if isinstance(data, web.Response):
            return data
        with use_locale("vi"):
            title, axis = _("Indicators against target"), _("% of target")
        png = indicator_chart(title, indicator_bars(data.indicators), axis)
        return web.Response(body=png, content_type="image/png", headers=_HEADERS)

    async def _export(self, request: web.Request) -> web.Response:
        data = await self._export_data(request)
        if isinstance(data, web.Response):
            return data
        if request.path.endswith(".xlsx"):
            from handlers.exports.xlsx import build_xlsx

            blob, mime, ext = build_xlsx(data), XLSX_MIME, "xlsx"
        else:
            from handlers.exports.docx import build_docx

            blob, mime, ext = build_docx(data), DOCX_MIME, "docx"
        name = f"bao-cao-cds-{data.period_key}.{ext}"
        return web.Response(body=blob, content_type=mime, headers={
            **_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
