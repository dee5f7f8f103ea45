"""Errors of the Stratum protocol layer: exception classes and the wire error codes.

Exception tree::

    StratumProtocolError          base of everything this package raises
    ├── LocalProtocolError        our own bug: sending a message the state forbids
    │                             (a job before subscribe, a submit the pool must
    │                             reject, anything once closed), feeding data after
    │                             EOF, an id orjson cannot encode, a difficulty that
    │                             is not positive and finite
    └── RemoteProtocolError       the peer's fault: bad framing, JSON, params or result

`RemoteProtocolError` never escapes `receive_data()` / `next_event()`: the connection
turns it into a `ProtocolError` event, because a sloppy miner is an everyday input, not
an exceptional one. `LocalProtocolError` does escape: it means the caller broke a rule
and the fix is in the calling code.

Wire errors (the `error` member of a response) are values, not exceptions:
`StratumErrorCode` holds the conventional codes 20-25 and `StratumError` one error
as sent or received (`[code, message, traceback]`; pools also send objects and strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loka_stratum.protocol.wire import JsonValue


class StratumErrorCode(IntEnum):
    """The error codes every Stratum V1 pool and miner agree on."""

    OTHER = 20
    JOB_NOT_FOUND = 21
    """Also used for stale shares: the job is no longer current."""
    DUPLICATE_SHARE = 22
    LOW_DIFFICULTY = 23
    UNAUTHORIZED = 24
    NOT_SUBSCRIBED = 25

    @property
    def default_message(self) -> str:
        """The message text pools conventionally send with this code."""
        return _DEFAULT_MESSAGES[self]


_DEFAULT_MESSAGES = {
    StratumErrorCode.OTHER: "Other/Unknown",
    StratumErrorCode.JOB_NOT_FOUND: "Job not found",
    StratumErrorCode.DUPLICATE_SHARE: "Duplicate share",
    StratumErrorCode.LOW_DIFFICULTY: "Low difficulty share",
    StratumErrorCode.UNAUTHORIZED: "Unauthorized worker",
    StratumErrorCode.NOT_SUBSCRIBED: "Not subscribed",
}


@dataclass(frozen=True, slots=True)
class StratumError:
    """One wire error. `code` is an int, not the enum: upstream pools send codes outside 20-25."""

    code: int
    message: str
    traceback: JsonValue = None

    @classmethod
    def of(cls, code: StratumErrorCode, message: str | None = None) -> StratumError:
        """The error for `code`, with its conventional message unless one is given."""
        if message is None:
            return _CONVENTIONAL[code]  # shared: a rejected share allocates nothing
        return cls(int(code), message)

    def to_json(self) -> list[JsonValue]:
        """The `[code, message, traceback]` triple every miner understands."""
        return [self.code, self.message, self.traceback]


_CONVENTIONAL = {code: StratumError(int(code), code.default_message) for code in StratumErrorCode}


class ProtocolErrorKind(Enum):
    """What went wrong with the peer's bytes; carried by `RemoteProtocolError` and events."""

    LINE_TOO_LONG = "line-too-long"
    INVALID_UTF8 = "invalid-utf8"
    INVALID_JSON = "invalid-json"
    NOT_AN_OBJECT = "not-an-object"
    INVALID_MESSAGE = "invalid-message"
    INVALID_PARAMS = "invalid-params"
    INVALID_RESULT = "invalid-result"
    UNKNOWN_RESPONSE_ID = "unknown-response-id"


class StratumProtocolError(Exception):
    """Base class of every exception raised by `loka_stratum.protocol`."""


class LocalProtocolError(StratumProtocolError):
    """The caller misused the connection; fix the calling code."""


class RemoteProtocolError(StratumProtocolError):
    """The peer sent something we cannot use. `kind` says what; `fatal` says "close now"."""

    def __init__(self, kind: ProtocolErrorKind, detail: str, *, fatal: bool = False) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.fatal = fatal
