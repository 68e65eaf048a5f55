"""Everything one update's handling can see: session, person, saved state, clock and replies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.messages import Capabilities, Incoming, Outgoing
from storage.models import Person

if TYPE_CHECKING:
    from handlers.services import Services
    from storage.hot_pg import Final

__all__ = ["ChatState", "Turn", "UnitRef"]


@dataclass
class ChatState:
    """A chat's saved conversation (a plain copy of its ``conversationstate`` row; ``id`` None if new)."""

    channel: str
    chat_id: str
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    updated_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class UnitRef:
    """The person's unit as loaded with the person (id, kind, name), without an ORM object."""

    id: int
    kind: str
    name: str


@dataclass
class Turn:
    """``session``: the ORM session of the turn's transaction. The dispatcher passes None and
    ``open_session``: the session is then made on first use (most updates need none: their statements are
    Core statements on ``conn``, the turn's connection)."""

    session: AsyncSession = field(repr=False, compare=False)
    incoming: Incoming
    state: ChatState
    person: Person | None
    now: datetime
    services: Services
    caps: Capabilities
    out: list[Outgoing] = field(default_factory=list)
    after_commit: list[Any] = field(default_factory=list)
    unit: UnitRef | None = None  # the person's unit, when the dispatcher loaded it with the person
    offered: dict[str, Any] | None = None  # choices last offered outside a flow (handlers/offered.py)
    conn: AsyncConnection | None = field(default=None, repr=False, compare=False)
    open_session: Callable[[], AsyncSession] | None = field(default=None, repr=False, compare=False)
    # PostgreSQL: what the dispatcher writes in the turn's one last statement (storage.hot_pg); a flow may
    # add its rows there instead of writing them itself (the activity log's confirmation does)
    final: Final | None = field(default=None, repr=False, compare=False)

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


def _get_session(turn: Turn) -> AsyncSession:
    session = turn.__dict__.get("_session")
    if session is None:
        if turn.open_session is None:
            raise RuntimeError("this turn has no database session")
        session = turn.__dict__["_session"] = turn.open_session()
    return session


def _set_session(turn: Turn, session: AsyncSession | None) -> None:
    turn.__dict__["_session"] = session


# ``session`` stays an argument of ``Turn(...)`` (the dataclass's __init__ assigns it through this property).
Turn.session = property(_get_session, _set_session)  # type: ignore[assignment]
