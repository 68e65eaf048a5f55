"""Web chat channel: a page where a visitor talks to the same handlers as on Telegram and Zalo."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from handlers.dispatch import Dispatcher
from handlers.messages import Capabilities, Incoming, Outgoing

__all__ = ["WebChannel"]

CAPS = Capabilities(buttons=True, max_text=4000, contact_request=False)
PAGE = Path(__file__).resolve().parent / "static" / "chat.html"
MAX_BODY = 64 * 1024


class WebChannel:
    """Serves `/` (the chat page) and `/chat/api`; ``personas`` maps a persona key to a user id."""

    name = "web"
    caps = CAPS

    def __init__(self, dispatcher: Dispatcher, personas: dict[str, str]) -> None:
        self.dispatcher = dispatcher
        self.personas = personas

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/", self._page)
        app.router.add_post("/chat/api", self._api)

    async def start(self) -> None:
        """Nothing to connect to."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def _page(self, _request: web.Request) -> web.Response:
        return web.Response(text=PAGE.read_text(encoding="utf-8"), content_type="text/html")

    async def _api(self, request: web.Request) -> web.Response:
        if request.content_length and request.content_length > MAX_BODY:
            return web.json_response({"error": "too large"}, status=413)
        try:
            body = await request.json()
            persona = str(body["persona"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "bad request"}, status=400)
        user_id = self.personas.get(persona)
        if user_id is None:
            return web.json_response({"error": "unknown persona"}, status=404)
        text = body.get("text")
        payload = body.get("payload")
        msg = Incoming(channel="web", user_id=user_id, chat_id=user_id,
                       update_id=str(body.get("id") or uuid.uuid4()), received_at=datetime.now(UTC),
                       text=str(text)[:10000] if text is not None else None,
                       payload=str(payload)[:64] if payload is not None else None,
                       display_name=persona, language_code="vi")
        out = await self.dispatcher.handle(msg, CAPS)
        await self.dispatcher.delivered([o.outbox_id for o in out if o.outbox_id is not None])
        return web.json_response({"messages": [_as_json(o) for o in out]})


def _as_json(o: Outgoing) -> dict[str, object]:
    data: dict[str, object] = {"text": o.text, "choices": [[c.label, c.payload] for c in o.choices]}
    for kind, f in (("document", o.document), ("photo", o.photo)):
        if f is not None:
            data[kind] = {"name": f.name, "mime": f.mime, "data": base64.b64encode(f.data).decode()}
    return data
