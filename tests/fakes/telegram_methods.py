"""Bot API method implementations and records (state half of the fake Telegram Bot API server)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.telegram_updates import JsonDict, UpdateFactory

MAX_TEXT, MAX_CAPTION, MAX_CALLBACK_DATA = 4096, 1024, 64


class ApiError(Exception):
    """Raised by a method handler to answer with the Bot API error envelope."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after

    def response(self) -> web.Response:
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


@dataclass
class UploadedFile:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class SentMessage:
    """One message the bot sent or edited (sendMessage/sendDocument/sendPhoto/editMessageText)."""

    method: str
    chat_id: int | str
    message_id: int
    text: str | None = None
    caption: str | None = None
    reply_markup: JsonDict | None = None
    parse_mode: str | None = None
    document_name: str | None = None
    document_bytes: bytes | None = None
    photo: bytes | str | None = None
    params: JsonDict = field(default_factory=dict, repr=False)

    @property
    def buttons(self) -> list[list[str]]:
        """Button texts per row of an inline or reply keyboard ([] without one)."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    @property
    def callback_data(self) -> list[str]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


def _as_bool(value: Any) -> bool:
    return str(value).lower() in {"true", "1"}


def _chat_id(value: Any) -> int | str:
    if value is None:  # inline_message_id edits have no chat
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


Handler = Callable[[JsonDict], Awaitable[Any]]


class BotApiMethods(UpdateFactory):
    """Recorded state plus one coroutine per supported Bot API method (params dict -> result)."""

    def __init__(self, token: str, bot_username: str, first_name: str) -> None:
        head = token.split(":", 1)[0]
        super().__init__(int(head) if head.isdigit() else 123, bot_username, first_name)
        self.token = token
        self.requests: list[tuple[str, JsonDict]] = []
        self.sent: list[SentMessage] = []
        self.updates: list[JsonDict] = []  # queued, not yet acknowledged
        self.confirmed_update_id = 0  # highest update_id acknowledged through getUpdates' offset
        self.allowed_updates: list[str] | None = None  # as last given to getUpdates/setWebhook (sticky)
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.commands: dict[str, list[JsonDict]] = {}  # default scope, keyed by language_code
        self.scoped_commands: dict[tuple[str, str], list[JsonDict]] = {}  # (scope type, language_code)
        self.callback_answers: list[JsonDict] = []
        self.files: dict[str, bytes] = {}
        self.messages: dict[tuple[int | str, int], JsonDict] = {}  # bot messages by (chat_id, message_id)
        self._file_paths: dict[str, str] = {}  # file_path -> file_id
        self._updates_changed = asyncio.Event()
        self._sent_changed = asyncio.Event()
        self._closing = False

    def method_table(self) -> dict[str, tuple[str, Handler]]:
        """Lower-cased method name -> (canonical name, handler); Bot API names are case-insensitive."""
        handlers: list[tuple[str, Handler]] = [
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("sendMessage", self._send_message),
            ("editMessageText", self._edit_message_text),
            ("editMessageReplyMarkup", self._edit_reply_markup),
            ("sendDocument", self._send_document),
            ("sendPhoto", self._send_photo),
            ("answerCallbackQuery", self._answer_callback),
            ("deleteMessage", self._delete_message),
            ("sendChatAction", self._true),
            ("getFile", self._get_file),
        ]
        return {name.lower(): (name, handler) for name, handler in handlers}

    def add_file(self, file_id: str, data: bytes, file_path: str | None = None) -> str:
        """Register downloadable bytes for getFile; returns the file_path served under /file/bot…"""
        path = file_path or f"files/file_{len(self._file_paths) + 1}"
        self.files[file_id] = data
        self._file_paths[path] = file_id
        return path

    def _notify_updates(self) -> None:
        event, self._updates_changed = self._updates_changed, asyncio.Event()
        event.set()

    def _record_sent(self, sent: SentMessage) -> None:
        self.sent.append(sent)
        event, self._sent_changed = self._sent_changed, asyncio.Event()
        event.set()

    def _lookup_message(self, chat_id: int, message_id: int) -> JsonDict | None:
        stored = self.messages.get((chat_id, message_id))
        return dict(stored) if stored is not None else None

    def _file_size(self, file_id: str) -> int | None:
        data = self.files.get(file_id)
        return len(data) if data is not None else None

    # -- message helpers -----------------------------------------------------------------------------
    @staticmethod
    def _require(params: JsonDict, *names: str) -> None:
        for name in names:
            if params.get(name) in (None, ""):
                raise ApiError(400, f"Bad Request: {name} is empty")

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if not isinstance(markup, dict):
            return
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _chat_object(self, chat_id: int | str) -> JsonDict:
        if isinstance(chat_id, str):
            return {"id": -1000000000001, "type": "channel", "title": chat_id}
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Test"}
        return {
            "id": chat_id,
            "type": "supergroup" if chat_id < -1000000000000 else "group",
            "title": "Group",
        }

    def _new_message(self, params: JsonDict, **content: Any) -> JsonDict:
        chat_id = _chat_id(params["chat_id"])
        message: JsonDict = {
            "message_id": self.next_message_id(),
            "date": int(time.time()),
            "chat": self._chat_object(chat_id),
            "from": self.bot_user(),
            **content,
        }
        self._apply_markup(message, params.get("reply_markup"))
        self.messages[(chat_id, message["message_id"])] = message
        return message

    @staticmethod
    def _apply_markup(message: JsonDict, markup: Any) -> None:
        # Only inline keyboards are echoed in Message.reply_markup (as on the real API).
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    def _sent(self, method: str, params: JsonDict, message_id: int, **fields: Any) -> None:
        markup = params.get("reply_markup")
        self._record_sent(
            SentMessage(
                method=method,
                chat_id=_chat_id(params.get("chat_id")),
                message_id=message_id,
                reply_markup=markup if isinstance(markup, dict) else None,
                parse_mode=params.get("parse_mode"),
                params=params,
                **fields,
            )
        )

    def _stored(self, params: JsonDict) -> JsonDict:
        self._require(params, "chat_id", "message_id")
        key = (_chat_id(params["chat_id"]), int(params["message_id"]))
        return self.messages.setdefault(
            key,
            {
                "message_id": key[1],
                "date": int(time.time()),
                "chat": self._chat_object(key[0]),
                "from": self.bot_user(),
            },
        )

    def _upload(self, value: Any, prefix: str) -> tuple[str, UploadedFile | None]:
        """file_id for an uploaded (UploadedFile) or referenced (file_id/URL string) file."""
        if isinstance(value, UploadedFile):
            file_id = f"{prefix}-{self.unique_id()}"
            self.add_file(file_id, value.data)
            return file_id, value
        return str(value), None

    # -- Bot API methods -----------------------------------------------------------------------------
    async def _true(self, params: JsonDict) -> bool:
        return True

    async def _get_me(self, params: JsonDict) -> JsonDict:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if isinstance(params.get("allowed_updates"), list):
            self.allowed_updates = list(params["allowed_updates"])
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            self.confirmed_update_id = max(self.confirmed_update_id, offset - 1)
        elif offset < 0:
            self.updates = self.updates[offset:]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._updates_changed
            batch = [u for u in self.updates if u["update_id"] >= offset][:limit]
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                return batch
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return []

    def update_allowed(self, update: JsonDict) -> bool:
        """Whether Telegram would create this update under the bot's ``allowed_updates`` (an empty or
        unset list means every type except chat_member, message_reaction, message_reaction_count)."""
        kinds = [k for k in update if k != "update_id"]
        default_off = {"chat_member", "message_reaction", "message_reaction_count"}
        if not self.allowed_updates:
            return not any(k in default_off for k in kinds)
        return any(k in self.allowed_updates for k in kinds)

    async def _set_webhook(self, params: JsonDict) -> bool:
        self._require(params, "url")
        if isinstance(params.get("allowed_updates"), list):
            self.allowed_updates = list(params["allowed_updates"])
        self.webhook_url, self.webhook_secret = params["url"], params.get("secret_token")
        if _as_bool(params.get("drop_pending_updates")):
            self.updates.clear()
        return True

    async def _delete_webhook(self, params: JsonDict) -> bool:
        self.webhook_url, self.webhook_secret = "", None
        if _as_bool(params.get("drop_pending_updates")):
            self.updates.clear()
        return True

    async def _get_webhook_info(self, params: JsonDict) -> JsonDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    @staticmethod
    def _commands_key(params: JsonDict) -> tuple[str, str]:
        scope = params.get("scope")
        scope_type = scope.get("type", "default") if isinstance(scope, dict) else "default"
        return scope_type, params.get("language_code") or ""

    async def _set_my_commands(self, params: JsonDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: commands are empty")
        key = self._commands_key(params)
        self.scoped_commands[key] = commands
        if key[0] == "default":
            self.commands[key[1]] = commands
        return True

    async def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        return self.scoped_commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: JsonDict) -> bool:
        key = self._commands_key(params)
        self.scoped_commands.pop(key, None)
        if key[0] == "default":
            self.commands.pop(key[1], None)
        return True

    async def _send_message(self, params: JsonDict) -> JsonDict:
        self._require(params, "chat_id")
        text = params.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        self._check_markup(params.get("reply_markup"))
        message = self._new_message(params, text=text)
        self._sent("sendMessage", params, message["message_id"], text=text)
        return message

    async def _edit_message_text(self, params: JsonDict) -> JsonDict | bool:
        text = params.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        self._check_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            self._sent("editMessageText", params, 0, text=text)
            return True
        message = self._stored(params)
        message.update(text=text, edit_date=int(time.time()))
        self._apply_markup(message, params.get("reply_markup"))
        self._sent("editMessageText", params, message["message_id"], text=text)
        return message

    async def _edit_reply_markup(self, params: JsonDict) -> JsonDict | bool:
        self._check_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        message = self._stored(params)
        self._apply_markup(message, params.get("reply_markup"))
        return message

    def _caption(self, params: JsonDict) -> str | None:
        caption = params.get("caption")
        if caption is not None and len(caption) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        return caption

    async def _send_document(self, params: JsonDict) -> JsonDict:
        self._require(params, "chat_id", "document")
        caption = self._caption(params)
        file_id, upload = self._upload(params["document"], "doc")
        name = upload.filename if upload else None
        document: JsonDict = {"file_id": file_id, "file_unique_id": self.unique_id("d")}
        if upload is not None:
            document.update(file_name=name, mime_type=upload.content_type, file_size=len(upload.data))
        message = self._new_message(params, document=document, **({"caption": caption} if caption else {}))
        self._sent(
            "sendDocument",
            params,
            message["message_id"],
            caption=caption,
            document_name=name,
            document_bytes=upload.data if upload else self.files.get(file_id),
        )
        return message

    async def _send_photo(self, params: JsonDict) -> JsonDict:
        self._require(params, "chat_id", "photo")
        caption = self._caption(params)
        file_id, upload = self._upload(params["photo"], "photo")
        photo = [{"file_id": file_id, "file_unique_id": self.unique_id("p"), "width": 800, "height": 600}]
        message = self._new_message(params, photo=photo, **({"caption": caption} if caption else {}))
        self._sent(
            "sendPhoto",
            params,
            message["message_id"],
            caption=caption,
            photo=upload.data if upload else file_id,
        )
        return message

    async def _answer_callback(self, params: JsonDict) -> bool:
        self._require(params, "callback_query_id")
        self.callback_answers.append(params)
        return True

    async def _delete_message(self, params: JsonDict) -> bool:
        self._require(params, "chat_id", "message_id")
        self.messages.pop((_chat_id(params["chat_id"]), int(params["message_id"])), None)
        return True

    async def _get_file(self, params: JsonDict) -> JsonDict:
        file_id = params.get("file_id") or ""
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path = next(p for p, fid in self._file_paths.items() if fid == file_id)
        return {
            "file_id": file_id,
            "file_unique_id": f"f{abs(hash(file_id))}",
            "file_size": len(self.files[file_id]),
            "file_path": path,
        }
