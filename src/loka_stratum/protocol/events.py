"""What `next_event()` returns: one value per received line, or `NEED_DATA`.

Server side: `RequestReceived`, `ResponseReceived` (answers to `client.get_version`),
`ProtocolError`, `ConnectionClosed`. Client side: `NotificationReceived`,
`ResponseReceived`, `ProtocolError`, `ConnectionClosed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TypeAlias

from loka_stratum.protocol.errors import ProtocolErrorKind, StratumError, StratumErrorCode
from loka_stratum.protocol.miner_messages import MinerRequest
from loka_stratum.protocol.pool_messages import PoolMessage
from loka_stratum.protocol.results import Result, SentRequest
from loka_stratum.protocol.wire import JsonValue


class NeedData(Enum):
    """The type of `NEED_DATA`: no complete line is buffered; call `receive_data()`."""

    NEED_DATA = "NEED_DATA"


NEED_DATA = NeedData.NEED_DATA


@dataclass(frozen=True, slots=True)
class RequestReceived:
    """A miner's request. Answer with `Response(id, ...)`; `id` is echoed as received.

    `rejection` is the error the state table prescribes (submit before subscribe,
    a worker never authorized, an unknown method). When it is set the caller answers
    `Response.reject(event.id, event.rejection)` and keeps the session.
    """

    request: MinerRequest
    id: JsonValue
    rejection: StratumErrorCode | None = None


@dataclass(frozen=True, slots=True)
class NotificationReceived:
    """A pool's message. `id` is None for notifications; otherwise the pool wants an answer.

    `client.get_version` always carries an id; some pools also send `client.reconnect`
    and `client.show_message` with one.
    """

    message: PoolMessage
    id: JsonValue = None


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    """The answer to a request this side sent with `send_request`; see `results` for `result`."""

    id: JsonValue
    request: SentRequest
    result: Result | None
    error: StratumError | None = None


@dataclass(frozen=True, slots=True)
class ProtocolError:
    """The peer sent something unusable; the connection carries on with the next line.

    `request_id` and `method` are set when the line was a readable request, so the
    caller can answer it (error 20). `fatal` is set for an over-long line: the peer is
    not speaking Stratum (or is attacking the buffer), and the caller should close.
    The connection itself resynchronises at the next newline if the caller does not.
    """

    kind: ProtocolErrorKind
    detail: str
    request_id: JsonValue = None
    method: str | None = None
    fatal: bool = False


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The peer closed its side and every buffered line has been delivered."""


Event: TypeAlias = (
    RequestReceived | NotificationReceived | ResponseReceived | ProtocolError | ConnectionClosed
)
