"""The local demo: a sample commune in its own SQLite file, served as a web chat on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import select

from bot.app import BotApp
from bot.config import Settings, default_base_url
from bot.web.chat import WebChannel
from handlers.services import Services
from storage.db import Database
from storage.models import Identity, Person
from storage.plan_import.model import Due, ParsedIndicator, ParsedPlan, ParsedTask, Target
from storage.plan_store import save_plan
from storage.units import get_commune, get_or_create_commune, get_or_create_unit

__all__ = ["DEMO_COMMUNE", "DEMO_DB", "build_demo", "dashboard_link", "run_demo", "seed_demo"]

DEMO_DB = "sqlite+aiosqlite:///./data/demo.db"  # kept apart from real data
PERSONAS = {"member": "demo-member", "officer": "demo-officer", "lead": "demo-lead"}
VHXH, HCC = "Phòng Văn hóa - Xã hội", "Trung tâm Phục vụ hành chính công"
DEMO_COMMUNE = "Xã Demo"


def demo_plan() -> ParsedPlan:
    return ParsedPlan(title="Kế hoạch chuyển đổi số xã Demo năm 2026", year=2026,
                      sections=["Chính quyền số", "Xã hội số"], tasks=[
        ParsedTask("1", "Chính quyền số", "Nâng cao tỷ lệ hồ sơ dịch vụ công trực tuyến toàn trình", [HCC], [VHXH],
                   Due("Thường xuyên", None, True, "recurring")),
        ParsedTask("2", "Chính quyền số", "Số hóa kết quả giải quyết thủ tục hành chính", [HCC], [],
                   Due("Quý IV năm 2026", datetime(2026, 12, 31).date())),
        ParsedTask("3", "Xã hội số", "Kiện toàn Tổ công nghệ số cộng đồng các thôn", [VHXH], [],
                   Due("Quý II năm 2026", datetime(2026, 6, 30).date())),
    ], indicators=[
        ParsedIndicator("1", "Chính quyền số", "Tỷ lệ hồ sơ TTHC được xử lý trực tuyến", "%",
                        Target("≥80", ">=", Decimal(80), "%"), [HCC]),
        ParsedIndicator("2", "Chính quyền số", "Bộ phận một cửa hoạt động trên môi trường số", None,
                        Target("Đạt", "bool", boolean=True), [HCC]),
        ParsedIndicator("3", "Xã hội số", "Tỷ lệ người dân trưởng thành có định danh điện tử mức 2", "%",
                        Target("75%", "=", Decimal(75), "%"), [VHXH]),
        ParsedIndicator("4", "Xã hội số", "Hội nghị, hội thảo, chương trình hợp tác về chuyển đổi số", None,
                        Target("Tổ chức hoặc tham gia các hội nghị, hội thảo, chương trình hợp tác"), [VHXH]),
    ])


async def seed_demo(db: Database, now: datetime | None = None) -> None:
    """The demo commune, its plan (imported at ``now``: its reporting starts that day) and three people."""
    async with db.transaction() as s:
        commune = await get_or_create_commune(s, DEMO_COMMUNE)
        await save_plan(s, commune, demo_plan(), source_file="demo", now=now)
        units = {}
        for name, kind in ((VHXH, "office"), (HCC, "office"), ("Thôn Nà Pài", "village"),
                           ("Thôn Khuổi Luông", "village")):
            units[name], _ = await get_or_create_unit(s, commune, name, kind)
        for key, name, unit, role in (("member", "Lò Văn Minh", "Thôn Nà Pài", "member"),
                                      ("officer", "Hoàng Văn Nam", HCC, "officer"),
                                      ("lead", "Trần Thị Lan", VHXH, "lead")):
            uid = PERSONAS[key]
            if (await s.exec(select(Identity).where(Identity.channel == "web", Identity.external_id == uid))).first():
                continue
            p = Person(commune_id=commune.id, unit_id=units[unit].id, name=name, role=role,  # type: ignore[arg-type]
                       consent_at=datetime.now(UTC), consent_version="demo")
            s.add(p)
            await s.flush()
            s.add(Identity(person_id=p.id, channel="web", external_id=uid, chat_id=uid))  # type: ignore[arg-type]


def build_demo(settings: Settings, *, services: Services | None = None) -> BotApp:
    """The demo app: BotApp (with the dashboard) plus the web chat for the three ``PERSONAS``."""
    bot = BotApp.build(settings, db=services.db if services else None, services=services)
    web_channel = WebChannel(bot.dispatcher, PERSONAS)
    web_channel.mount(bot.web)
    bot.channels.append(web_channel)
    return bot


async def dashboard_link(bot: BotApp, base_url: str, days: float = 1) -> str:
    """A login link to the demo commune's dashboard, valid ``days`` from the app's clock."""
    from bot.web.dashboard import login_url

    async with bot.db.session() as s:
        commune = await get_commune(s, DEMO_COMMUNE)
    assert commune is not None and commune.id is not None, "seed_demo first"
    dashboard = bot.services.extra["dashboard"]
    return login_url(base_url, dashboard.secret, commune.id, bot.services.now() + timedelta(days=days))


async def run_demo(settings: Settings) -> int:

    bot = build_demo(replace(settings, database_url=DEMO_DB))
    await bot.db.upgrade()
    await seed_demo(bot.db)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await bot.start()
    logging.getLogger(__name__).info("demo ready")
    base = default_base_url(None, settings.http_host, settings.http_port)
    print(f"Demo chat: {base}/  (Ctrl+C to stop)")
    print(f"Lead-office dashboard (link valid 1 day): {await dashboard_link(bot, base)}")
    try:
        await stop.wait()
    finally:
        await bot.stop()
    return 0
