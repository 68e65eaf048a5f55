"""Everything one update's handling can see: session, person, saved state, clock and replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.messages import Capabilities, Incoming, Outgoing
from storage.models import ConversationState, Person

if TYPE_CHECKING:
    from handlers.services import Services

__all__ = ["Turn"]


@dataclass
class Turn:
    session: AsyncSession
    incoming: Incoming
    state: ConversationState
    person: Person | None
    now: datetime
    services: Services
    caps: Capabilities
    out: list[Outgoing] = field(default_factory=list)
    after_commit: list[Any] = field(default_factory=list)

    @property
    def tz(self) -> ZoneInfo:
        return self.services.tz

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    @property
    def today(self):  # noqa: ANN201 - date
        return self.now.astimezone(self.tz).date()

    def reply(self, out: Outgoing | str) -> None:
        self.out.append(Outgoing(text=out) if isinstance(out, str) else out)

    def end_flow(self) -> None:
        self.state.flow = None
        self.state.step = None
        self.state.data = {k: v for k, v in self.state.data.items() if k == "_locale"}
