"""Real update shapes the libraries cannot read (for quarantine tests); the fakes queue them as they are."""

from __future__ import annotations

from typing import Any

__all__ = ["callback_with_empty_markup", "my_chat_member_jan_2025", "zalo_update_without_ids"]


def my_chat_member_jan_2025(bot: dict[str, Any], user_id: int = 42, chat_id: int = -1002233445566) -> dict[str, Any]:
    """A ``my_chat_member`` as Telegram sent it in January 2025 (the bot restricted in a group): the
    ChatMemberRestricted has no ``can_edit_tag``, which python-telegram-bot 22.8 requires."""
    restricted = {
        "user": bot, "status": "restricted", "until_date": 0, "is_member": True,
        "can_send_messages": False, "can_send_audios": False, "can_send_documents": False,
        "can_send_photos": False, "can_send_videos": False, "can_send_video_notes": False,
        "can_send_voice_notes": False, "can_send_polls": False, "can_send_other_messages": False,
        "can_add_web_page_previews": False, "can_change_info": False, "can_invite_users": True,
        "can_pin_messages": False, "can_manage_topics": False,
    }
    return {"my_chat_member": {
        "chat": {"id": chat_id, "title": "Tổ CNS thôn Nà Pài", "type": "supergroup"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Minh", "language_code": "vi"},
        "date": 1736912345,
        "old_chat_member": {"user": bot, "status": "member"},
        "new_chat_member": restricted,
    }}


def callback_with_empty_markup(callback: dict[str, Any]) -> dict[str, Any]:
    """A ``callback_query`` whose message carries ``reply_markup: {}`` (seen live; PTB cannot read it)."""
    query = dict(callback["callback_query"])
    query["message"] = {**query["message"], "reply_markup": {}}
    return {"callback_query": query}


def zalo_update_without_ids(user_id: str, text: str = "xin chào") -> dict[str, Any]:
    """A Zalo text event whose message has neither ``message_id`` nor ``chat``: nothing to answer to."""
    return {"event_name": "message.text.received",
            "message": {"from": {"id": user_id, "is_bot": False}, "text": text, "date": 1764590000000}}
