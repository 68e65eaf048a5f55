"""Factories building Telegram Bot API update payloads (plain dicts) for the fake Bot API server."""

from __future__ import annotations

import itertools
import mimetypes
import time
from typing import Any

JsonDict = dict[str, Any]


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram uses for entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[JsonDict]:
    """A ``bot_command`` entity covering ``/cmd`` or ``/cmd@bot`` at the start of ``text``."""
    if not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]


class UpdateFactory:
    """Builds Update dicts in Bot API shape; ``update_id`` is assigned later, when queued."""

    def __init__(self, bot_id: int, bot_username: str, bot_first_name: str = "CDS Bot") -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._unique_ids = itertools.count(1)

    # -- hooks overridden by the server ------------------------------------------------------------
    def _lookup_message(self, chat_id: int, message_id: int) -> JsonDict | None:
        """A message previously sent by the bot, if known (used to fill callback queries)."""
        return None

    def _file_size(self, file_id: str) -> int | None:
        return None

    # -- building blocks -----------------------------------------------------------------------------
    def next_message_id(self) -> int:
        return next(self._message_ids)

    def unique_id(self, prefix: str = "u") -> str:
        return f"{prefix}{next(self._unique_ids)}"

    def bot_user(self) -> JsonDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    @staticmethod
    def user(
        user_id: int, *, first_name: str = "Test", username: str | None = None, language_code: str = "vi"
    ) -> JsonDict:
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    @staticmethod
    def chat(
        chat_id: int, chat_type: str, user: JsonDict | None = None, title: str | None = None
    ) -> JsonDict:
        chat: JsonDict = {"id": chat_id, "type": chat_type}
        if chat_type == "private" and user is not None:
            chat["first_name"] = user["first_name"]
            if "username" in user:
                chat["username"] = user["username"]
        elif chat_type != "private":
            chat["title"] = title or "Test group"
        return chat

    def base_message(
        self,
        user_id: int,
        *,
        chat_id: int | None = None,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str = "vi",
        chat_type: str = "private",
        message_id: int | None = None,
        date: int | None = None,
        title: str | None = None,
    ) -> JsonDict:
        """A Message dict without content, sent by ``user_id`` (group chats default to ``-user_id``)."""
        user = self.user(user_id, first_name=first_name, username=username, language_code=language_code)
        if chat_id is None:
            chat_id = user_id if chat_type == "private" else -abs(user_id)
        return {
            "message_id": message_id if message_id is not None else self.next_message_id(),
            "date": date if date is not None else int(time.time()),
            "chat": self.chat(chat_id, chat_type, user, title),
            "from": user,
        }

    # -- update factories ----------------------------------------------------------------------------
    def message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str = "vi",
        chat_type: str = "private",
        message_id: int | None = None,
        date: int | None = None,
        title: str | None = None,
    ) -> JsonDict:
        """A text message update; ``/cmd`` texts get a ``bot_command`` entity.

        The other factories take the same keyword options as ``**ctx``.
        """
        msg = self.base_message(
            user_id,
            chat_id=chat_id,
            first_name=first_name,
            username=username,
            language_code=language_code,
            chat_type=chat_type,
            message_id=message_id,
            date=date,
            title=title,
        )
        msg["text"] = text
        if entities := command_entities(text):
            msg["entities"] = entities
        return {"message": msg}

    def group_message(
        self, user_id: int, text: str, *, chat_id: int = -1001, chat_type: str = "group", **ctx: Any
    ) -> JsonDict:
        """A text message in a group (negative chat id; use chat_type="supergroup" with -100… ids)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        return self.message(user_id, text, chat_id=chat_id, chat_type=chat_type, **ctx)

    def edited_message(
        self, user_id: int, text: str, *, message_id: int, edit_date: int | None = None, **ctx: Any
    ) -> JsonDict:
        msg = self.message(user_id, text, message_id=message_id, **ctx)["message"]
        msg["edit_date"] = edit_date if edit_date is not None else int(time.time())
        return {"edited_message": msg}

    def callback(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int,
        chat_id: int | None = None,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str = "vi",
        chat_type: str = "private",
    ) -> JsonDict:
        """A callback query pressed on bot message ``message_id`` (its stored content is reused)."""
        user = self.user(user_id, first_name=first_name, username=username, language_code=language_code)
        if chat_id is None:
            chat_id = user_id if chat_type == "private" else -abs(user_id)
        message = self._lookup_message(chat_id, message_id)
        if message is None:
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self.chat(chat_id, chat_type, user),
                "from": self.bot_user(),
            }
        return {
            "callback_query": {
                "id": str(next(self._callback_ids)),
                "from": user,
                "chat_instance": f"ci{chat_id}",
                "data": data,
                "message": message,
            }
        }

    def contact(
        self, user_id: int, phone_number: str, *, contact_user_id: int | None = None, **ctx: Any
    ) -> JsonDict:
        """A shared contact; by default the user's own (``contact_user_id`` = ``user_id``)."""
        msg = self.base_message(user_id, **ctx)
        msg["contact"] = {
            "phone_number": phone_number,
            "first_name": msg["from"]["first_name"],
            "user_id": user_id if contact_user_id is None else contact_user_id,
        }
        return {"message": msg}

    def photo(self, user_id: int, file_id: str, caption: str | None = None, **ctx: Any) -> JsonDict:
        msg = self.base_message(user_id, **ctx)
        size = self._file_size(file_id)
        msg["photo"] = [
            {"file_id": f"{file_id}_thumb", "file_unique_id": self.unique_id("p"), "width": 90, "height": 67},
            {
                "file_id": file_id,
                "file_unique_id": self.unique_id("p"),
                "width": 1280,
                "height": 960,
                **({"file_size": size} if size is not None else {}),
            },
        ]
        if caption is not None:
            msg["caption"] = caption
        return {"message": msg}

    def sticker(self, user_id: int, file_id: str = "sticker-1", **ctx: Any) -> JsonDict:
        msg = self.base_message(user_id, **ctx)
        msg["sticker"] = {
            "file_id": file_id,
            "file_unique_id": self.unique_id("s"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return {"message": msg}

    def document(
        self, user_id: int, file_id: str, file_name: str, caption: str | None = None, **ctx: Any
    ) -> JsonDict:
        msg = self.base_message(user_id, **ctx)
        doc: JsonDict = {
            "file_id": file_id,
            "file_unique_id": self.unique_id("d"),
            "file_name": file_name,
            "mime_type": mimetypes.guess_type(file_name)[0] or "application/octet-stream",
        }
        if (size := self._file_size(file_id)) is not None:
            doc["file_size"] = size
        msg["document"] = doc
        if caption is not None:
            msg["caption"] = caption
        return {"message": msg}

    def voice(self, user_id: int, file_id: str = "voice-1", duration: int = 4, **ctx: Any) -> JsonDict:
        """A voice note (OGG/Opus recorded in the app)."""
        msg = self.base_message(user_id, **ctx)
        msg["voice"] = {"file_id": file_id, "file_unique_id": self.unique_id("v"), "duration": duration,
                        "mime_type": "audio/ogg", "file_size": self._file_size(file_id) or 9000}
        return {"message": msg}

    def video(self, user_id: int, file_id: str = "video-1", caption: str | None = None, **ctx: Any) -> JsonDict:
        msg = self.base_message(user_id, **ctx)
        msg["video"] = {"file_id": file_id, "file_unique_id": self.unique_id("v"), "width": 640, "height": 360,
                        "duration": 12, "mime_type": "video/mp4", "file_size": self._file_size(file_id) or 800000}
        if caption is not None:
            msg["caption"] = caption
        return {"message": msg}

    def video_note(self, user_id: int, file_id: str = "round-1", **ctx: Any) -> JsonDict:
        """A round video message."""
        msg = self.base_message(user_id, **ctx)
        msg["video_note"] = {"file_id": file_id, "file_unique_id": self.unique_id("v"), "length": 240,
                             "duration": 5}
        return {"message": msg}

    def location(self, user_id: int, latitude: float = 22.08, longitude: float = 105.82, **ctx: Any) -> JsonDict:
        msg = self.base_message(user_id, **ctx)
        msg["location"] = {"latitude": latitude, "longitude": longitude}
        return {"message": msg}

    def audio(self, user_id: int, file_id: str = "audio-1", **ctx: Any) -> JsonDict:
        msg = self.base_message(user_id, **ctx)
        msg["audio"] = {"file_id": file_id, "file_unique_id": self.unique_id("a"), "duration": 30,
                        "mime_type": "audio/mpeg", "title": "Ghi âm"}
        return {"message": msg}
