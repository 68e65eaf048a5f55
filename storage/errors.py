"""Our one error tree (root ``CdsbotError``), on the lowest floor that raises it; used by every layer above.

Foreign errors are translated into it at the adapter edge (bot/channels raise the channel errors).

    CdsbotError
    ├── ConfigError        bad configuration; start-up stops with one line
    ├── ChannelError       a platform call failed (``retryable`` tells the outbox what to do)
    │   ├── RateLimited    the platform asked us to wait ``retry_after`` seconds
    │   └── AnswerUnreadable  the platform answered a send in a shape we cannot read
    ├── InputError         a user's answer cannot be used; carries the message to show
    └── ImportFailed       a plan / org file cannot be read; carries one clear line
"""

from __future__ import annotations

__all__ = ["AnswerUnreadable", "CdsbotError", "ChannelError", "ConfigError", "ImportFailed", "InputError", "RateLimited"]


class CdsbotError(Exception):
    """Base of every error cdsbot raises on purpose."""


class ConfigError(CdsbotError):
    """A configuration value is missing or malformed."""


class ChannelError(CdsbotError):
    """A call to a chat platform failed."""

    def __init__(self, message: str, *, retryable: bool = False, code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class RateLimited(ChannelError):
    """The platform asked us to slow down."""

    def __init__(self, message: str, retry_after: float, code: int | None = 429) -> None:
        super().__init__(message, retryable=True, code=code)
        self.retry_after = retry_after


class AnswerUnreadable(ChannelError):
    """A send got an answer that cannot be read (e.g. HTTP 200 without ``result``, or a garbage body).

    ``accepted``: the platform said ``"ok": true`` — the message was created, so it counts as delivered
    and is never sent again. Otherwise (no readable ``ok`` at all) it may or may not have gone out; it is
    retried, so the person may see it twice (at-least-once)."""

    def __init__(self, message: str, *, accepted: bool, code: int | None = None) -> None:
        super().__init__(message, retryable=not accepted, code=code)
        self.accepted = accepted


class InputError(CdsbotError):
    """A user's answer was not usable; ``message`` is already translated for that user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportFailed(CdsbotError):
    """An import file could not be read or understood."""
