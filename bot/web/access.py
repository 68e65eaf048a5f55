"""Province-office dashboard access: signed "p<province id>.<expiry>.<HMAC>" tokens (never a commune's) and
which commune pages they open (those of its own province only)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from urllib.parse import urlencode

from aiohttp import web

from handlers.services import Services
from storage.models import Commune

__all__ = ["PROVINCE_COOKIE", "make_province_token", "province_commune", "province_login_url", "read_province_token"]

PROVINCE_COOKIE = "cdsbot_prov"


def _sign(secret: bytes, province_id: int, expires: int) -> str:
    # a domain of its own: a commune token's MAC never verifies here, nor this one there
    mac = hmac.new(secret, f"cdsbot-province:{province_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def make_province_token(secret: bytes, province_id: int, expires: datetime) -> str:
    """The province login link's ``t`` and its cookie."""
    stamp = int(expires.timestamp())
    return f"p{province_id}.{stamp}.{_sign(secret, province_id, stamp)}"


def read_province_token(secret: bytes, token: str | None, now: datetime) -> tuple[int, datetime] | None:
    """(province id, expiry) of a well-signed, unexpired province token; None otherwise."""
    parts = (token or "").split(".")
    if (len(parts) != 3 or len(token or "") > 200 or not parts[0].startswith("p") or not parts[0][1:].isdigit()
            or not parts[1].isdigit()):
        return None
    province_id, stamp = int(parts[0][1:]), int(parts[1])
    if not hmac.compare_digest(_sign(secret, province_id, stamp).encode(), parts[2].encode()):
        return None
    expires = datetime.fromtimestamp(stamp, tz=now.tzinfo)
    return (province_id, expires) if now < expires else None


def province_login_url(base_url: str, secret: bytes, province_id: int, expires: datetime) -> str:
    token = make_province_token(secret, province_id, expires)
    return f"{base_url.rstrip('/')}/dashboard/province?{urlencode({'t': token})}"


async def province_commune(services: Services, secret: bytes, request: web.Request, commune_id: str
                           ) -> Commune | None:
    """A commune the signed-in province office may read on the commune page (its own province only)."""
    found = read_province_token(secret, request.cookies.get(PROVINCE_COOKIE), services.now())
    if found is None or not commune_id.isdigit() or len(commune_id) > 12:
        return None
    async with services.db.session() as s:
        commune = await s.get(Commune, int(commune_id))
    return commune if commune is not None and commune.province_id == found[0] else None
