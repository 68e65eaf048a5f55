"""How an Outgoing text message is stored in an outbox row and read back."""

from __future__ import annotations

from typing import Any

from handlers.messages import Choice, Outgoing

__all__ = ["from_payload", "to_payload"]


def to_payload(out: Outgoing) -> dict[str, Any]:
    data: dict[str, Any] = {"text": out.text, "choices": [[c.label, c.payload] for c in out.choices]}
    if out.request_contact:
        data["request_contact"] = True
    return data


def from_payload(payload: dict[str, Any]) -> Outgoing:
    return Outgoing(text=payload.get("text", ""),
                    choices=tuple(Choice(label, p) for label, p in payload.get("choices", [])),
                    request_contact=bool(payload.get("request_contact")))
