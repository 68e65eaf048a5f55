"""PTB's HTTP transport on aiohttp: the same requests as HTTPXRequest, at a fraction of the CPU.

With many chats answered at once, httpx/httpcore scan every pooled connection (a ``poll`` syscall and
an attribute mapping each) on every request and response; profiled, that was a third of the bot's CPU
per update. aiohttp's connector keeps idle connections in a list it pops from. Form fields go as
``application/x-www-form-urlencoded``, uploads as ``multipart/form-data``, as with HTTPXRequest;
proxy environment variables (HTTPS_PROXY, NO_PROXY …) are honoured as httpx does, looked up once per
host (aiohttp's ``trust_env`` would also read ~/.netrc in a thread on every request)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

__all__ = ["AiohttpRequest", "last_status"]

# HTTP status of the last answer received in this task: lets the adapter tell "the platform accepted the
# send but PTB could not read the answer" (2xx) from a failure before any answer.
last_status: ContextVar[int | None] = ContextVar("telegram_last_status", default=None)

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    """A ``telegram.request.BaseRequest`` on one ``aiohttp.ClientSession`` (created in initialize)."""

    def __init__(self, connection_pool_size: int = 256, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0,
                 trace_configs: list[aiohttp.TraceConfig] | None = None) -> None:
        self._pool_size = connection_pool_size
        self._read, self._write, self._connect = read_timeout, write_timeout, connect_timeout
        self._pool, self._media_write = pool_timeout, media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, tuple[URL | None, aiohttp.BasicAuth | None]] = {}  # by scheme://host:port
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        self._traces = trace_configs  # e.g. bot.channels.first_poll: when the first getUpdates went out

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT}, trace_configs=self._traces)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE, pool_timeout: Any = BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = _given(read_timeout, self._read)
        write = _given(write_timeout, self._media_write if files else self._write)
        conn, pool = _given(connect_timeout, self._connect), _given(pool_timeout, self._pool)
        body: Any = None
        headers: dict[str, str] | None = None
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            body = form
        elif fields:  # encoded here as aiohttp's FormData would, without its per-request multipart writer
            body, headers = urlencode(fields, doseq=True).encode(), _FORM
        timeout = self._timeout(read, write, conn, pool)
        proxy, proxy_auth = self._proxy_for(url)
        try:
            async with self._session.request(method, url, data=body, headers=headers, timeout=timeout,
                                             proxy=proxy, proxy_auth=proxy_auth) as resp:
                body = await resp.read()
                last_status.set(resp.status)
                return resp.status, body
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc

    def _timeout(self, read: float | None, write: float | None, conn: float | None,
                 pool: float | None) -> aiohttp.ClientTimeout:
        key = (read, write, conn, pool)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, connect=None if conn is None and pool is None else (conn or 0) + (pool or 0),
                sock_connect=conn, sock_read=max(filter(None, (read, write)), default=None))
        return timeout

    def _proxy_for(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        scheme, _sep, rest = url.partition("://")
        key = f"{scheme}://{rest.split('/', 1)[0]}"
        if key not in self._proxies:
            try:
                self._proxies[key] = get_env_proxy_for_url(URL(url))
            except LookupError:
                self._proxies[key] = (None, None)
        return self._proxies[key]


def _given(value: Any, default: float | None) -> float | None:
    """A timeout passed to the call, or this request's default when PTB passed DEFAULT_NONE."""
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value
