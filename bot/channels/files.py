"""Short-lived signed download links for generated files, for channels that cannot upload them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["DEFAULT_TTL", "FileStore", "StoredFile"]

DEFAULT_TTL = 24 * 3600.0  # seconds a link stays valid
MAX_BYTES = 200 << 20  # total bytes kept in memory; the oldest files are dropped beyond it
ROUTE = "/files/{token}"
_ACTIVE = (
    "text/html",
    "application/xhtml",
    "image/svg",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
)  # a browser might run these: sent as bytes
_PICTURES = ("image/png", "image/jpeg")


@dataclass(frozen=True)
class StoredFile:
    name: str
    data: bytes
    mime: str
    expires: float


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class FileStore:
    """Keeps file bytes in memory and hands out ``{public_url}/files/{token}`` links.

    A token is ``<file id>.<expiry epoch>.<HMAC-SHA256 signature>``; a wrong signature, an unknown id
    or a passed expiry all give 404. The secret is random per process unless one is given, so links
    die with the process (the bytes live in memory anyway)."""

    def __init__(
        self,
        public_url: str | None,
        *,
        secret: bytes | None = None,
        ttl: float = DEFAULT_TTL,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.public_url = public_url.rstrip("/") if public_url else None
        self._secret = secret or secrets.token_bytes(32)
        self.ttl, self.max_bytes, self.clock = ttl, max_bytes, clock
        self._files: OrderedDict[str, StoredFile] = OrderedDict()
        self._size = 0

    @property
    def enabled(self) -> bool:
        """True when links can be built (a public URL is configured)."""
        return self.public_url is not None

    def mount(self, app: web.Application) -> None:
        """Add ``GET /files/{token}`` to ``app`` (once, even if several channels share the app)."""
        if not any(
            getattr(r, "resource", None) is not None and r.resource.canonical == ROUTE
            for r in app.router.routes()
        ):
            app.router.add_get(ROUTE, self._serve)

    def put(self, name: str, data: bytes, mime: str = "application/octet-stream") -> str:
        """Store ``data`` and return its signed URL (a bare ``/files/...`` path without a public URL)."""
        self._expire()
        file_id = secrets.token_hex(12)
        expires = self.clock() + self.ttl
        self._files[file_id] = StoredFile(
            name or "file", bytes(data), mime or "application/octet-stream", expires
        )
        self._size += len(data)
        while self._size > self.max_bytes and len(self._files) > 1:
            _, old = self._files.popitem(last=False)
            self._size -= len(old.data)
        token = self.sign(file_id, int(expires))
        return f"{self.public_url or ''}/files/{token}"

    def sign(self, file_id: str, expires: int) -> str:
        mac = hmac.new(self._secret, f"{file_id}.{expires}".encode(), hashlib.sha256).digest()
        return f"{file_id}.{expires}.{_b64(mac[:18])}"

    def get(self, token: str) -> StoredFile | None:
        """The file behind a valid, unexpired token, else None."""
        file_id, _, rest = token.partition(".")
        expires_raw, _, _sig = rest.partition(".")
        if not file_id or not expires_raw.isdigit():
            return None
        if not hmac.compare_digest(self.sign(file_id, int(expires_raw)).encode(), token.encode()):
            return None
        if int(expires_raw) <= self.clock():
            return None
        stored = self._files.get(file_id)
        if stored is None or stored.expires <= self.clock():
            return None
        return stored

    def _expire(self) -> None:
        now = self.clock()
        for file_id in [k for k, f in self._files.items() if f.expires <= now]:
            self._size -= len(self._files.pop(file_id).data)

    async def _serve(self, request: web.Request) -> web.Response:
        from aiohttp import web  # the web server's side of aiohttp: loaded with the web app, not to poll

        stored = self.get(request.match_info["token"])
        if stored is None:
            return web.Response(status=404, text="Not found or expired")
        mime = stored.mime
        if mime.split(";")[0].strip().lower().startswith(_ACTIVE):
            mime = "application/octet-stream"
        name = "".join(c for c in stored.name if c.isprintable()) or "file"
        ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
        inline = mime in _PICTURES  # a picture is shown (Zalo's sendPhoto fetches it); the rest is saved
        disposition = f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
        return web.Response(
            body=stored.data,
            headers={
                "Content-Type": mime,
                "Content-Disposition": disposition,
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
