"""PTB's aiohttp transport: form fields urlencoded, files as multipart, proxy settings per host."""

from __future__ import annotations

import json

from aiohttp import web
from telegram import InputFile
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram.http import AiohttpRequest


async def _echo_server(aiohttp_server):  # noqa: ANN001, ANN202
    async def echo(request: web.Request) -> web.Response:
        form = await request.post()
        fields = {k: (v if isinstance(v, str) else f"file:{v.filename}:{v.file.read().decode()}")
                  for k, v in form.items()}
        return web.json_response({"ok": True, "result": {"type": request.content_type, "fields": fields,
                                                         "agent": request.headers.get("User-Agent", "")}})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", echo)
    return await aiohttp_server(app)


async def test_fields_and_files_arrive_as_telegram_expects(aiohttp_server) -> None:  # noqa: ANN001
    server = await _echo_server(aiohttp_server)
    req = AiohttpRequest()
    await req.initialize()
    try:
        url = str(server.make_url("/bot1:T/sendMessage"))
        data = RequestData([RequestParameter.from_input("chat_id", 7),
                            RequestParameter.from_input("text", "Đã lưu & 100% = ok?"),
                            RequestParameter.from_input("reply_markup", {"inline_keyboard": [[{"text": "a"}]]})])
        status, body = await req.do_request(url, "POST", data)
        result = json.loads(body)["result"]
        assert status == 200 and result["type"] == "application/x-www-form-urlencoded"
        assert result["fields"]["chat_id"] == "7" and result["fields"]["text"] == "Đã lưu & 100% = ok?"
        assert json.loads(result["fields"]["reply_markup"]) == {"inline_keyboard": [[{"text": "a"}]]}
        assert "python-telegram-bot" in result["agent"]

        upload = RequestData([RequestParameter.from_input("chat_id", 7),
                              RequestParameter.from_input("document", InputFile(b"xyz", filename="a.txt"))])
        status, body = await req.do_request(url.replace("sendMessage", "sendDocument"), "POST", upload)
        result = json.loads(body)["result"]
        assert result["type"] == "multipart/form-data"
        assert result["fields"]["chat_id"] == "7" and result["fields"]["document"] == "file:a.txt:xyz"

        status, body = await req.do_request(url.replace("sendMessage", "getMe"), "POST", None)
        assert status == 200 and json.loads(body)["result"]["fields"] == {}
        assert list(req._proxies) == [f"http://{server.host}:{server.port}"]  # looked up once per host
    finally:
        await req.shutdown()
