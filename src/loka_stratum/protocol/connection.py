"""The sans-IO core shared by both sides: bytes in, events out; messages in, bytes out.

Like h11, a connection never does I/O and never writes on its own: the caller
feeds it what the socket read (`receive_data`, with b"" for EOF), drains events
(`next_event` until `NEED_DATA`), and writes the bytes `send` / `send_request`
return. Everything a peer can get wrong comes out as a `ProtocolError` event;
only the caller's own mistakes raise (`LocalProtocolError`).

Ids: requests a peer sends are never tracked, their ids are only echoed, so
miners that reuse one id for every submit work. Requests this side sends get
fresh integer ids and are remembered until their response arrives, which is how
responses come back typed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Set
from types import MappingProxyType

from orjson import JSONDecodeError, JSONEncodeError, dumps, loads

from loka_stratum.protocol.codec import encode_request
from loka_stratum.protocol.errors import (
    LocalProtocolError,
    ProtocolErrorKind,
    RemoteProtocolError,
    StratumError,
)
from loka_stratum.protocol.events import (
    NEED_DATA,
    ConnectionClosed,
    Event,
    NeedData,
    ProtocolError,
    ResponseReceived,
)
from loka_stratum.protocol.framing import DEFAULT_MAX_LINE_LENGTH, LineFramer
from loka_stratum.protocol.params import is_small_decimal
from loka_stratum.protocol.results import (
    AuthorizeResult,
    Result,
    SentRequest,
    SubscribeResult,
    parse_error,
    parse_result,
)
from loka_stratum.protocol.state import (
    AUTHORIZE_OK,
    CLOSE,
    SUBSCRIBE_OK,
    SessionState,
    advance,
    may_send,
)
from loka_stratum.protocol.wire import JsonValue, brief

_INVALID_MESSAGE = ProtocolErrorKind.INVALID_MESSAGE
_MAX_WRITABLE_DEPTH = 254
"""orjson reads JSON nested up to 1024 levels but writes only 254. Ids, unknown params and
raw results are kept to be echoed, forwarded and logged, so deeper lines are refused.
Counting brackets is a cheap upper bound; only lines over it pay for the real check."""
_MIN_UNWRITABLE_LENGTH = 2 * _MAX_WRITABLE_DEPTH
"""A line this short cannot nest too deep (each level costs two brackets): skip the check."""


class StratumConnection(ABC):
    """One end of a Stratum V1 connection; `ServerConnection` and `ClientConnection` build on it.

    After a fatal `ProtocolError` (an over-long line) the connection still works: the
    framer has dropped that line and resynchronised at the next newline. The event's
    `fatal` flag is the advice to close; real miners never send such lines.
    """

    def __init__(self, *, max_line_length: int = DEFAULT_MAX_LINE_LENGTH) -> None:
        self._framer = LineFramer(max_line_length)
        self._eof = False
        self._state = SessionState.NEW
        self._workers: set[str] = set()
        self._pending: dict[int, SentRequest] = {}
        self._next_id = 1

    @property
    def state(self) -> SessionState:
        """Where the session stands (the tables are in `loka_stratum.protocol.state`)."""
        return self._state

    @property
    def authorized_workers(self) -> Set[str]:
        """The worker names authorized on this connection."""
        return frozenset(self._workers)

    @property
    def pending_requests(self) -> Mapping[int, SentRequest]:
        """Requests this side sent that await a response, by id (for timeouts and metrics).

        Nothing expires here (there is no clock): a caller that gives up on a request
        calls `forget(request_id)`, and a late response then comes as an unknown id.
        """
        return MappingProxyType(self._pending)

    def forget(self, request_id: int) -> None:
        """Stop waiting for the response to `request_id`."""
        self._pending.pop(request_id, None)

    @property
    def buffered_size(self) -> int:
        """Received bytes not yet turned into events; bounded by the line limit per chunk."""
        return self._framer.buffered_size

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the peer; b"" means the peer closed (EOF)."""
        if self._eof:
            if data:
                raise LocalProtocolError("received data after EOF")
            return
        if data:
            self._framer.feed(data)
        else:
            self._eof = True
            self._framer.finish()

    def next_event(self) -> Event | NeedData:
        """The next event, or `NEED_DATA` when no complete line is buffered.

        After EOF and the last buffered line, `ConnectionClosed` (every time it is
        asked); the state is then CLOSED and sending raises `LocalProtocolError`.
        """
        try:
            line = self._framer.next_line()
        except RemoteProtocolError as exc:
            return ProtocolError(exc.kind, exc.detail, fatal=exc.fatal)
        if line is not None:
            return self._event_for_line(line)
        if not self._eof:
            return NEED_DATA
        self._state = advance(self._state, CLOSE)
        return ConnectionClosed()

    def _event_for_line(self, line: bytes) -> Event:
        try:
            obj = loads(line)
        except JSONDecodeError as exc:
            return _undecodable(line, exc)
        if type(obj) is not dict:
            kind = ProtocolErrorKind.NOT_AN_OBJECT
            return ProtocolError(kind, f"expected a JSON object, got {type(obj).__name__}")
        if len(line) > _MIN_UNWRITABLE_LENGTH and not _writable_depth(line, obj):
            detail = f"nested deeper than {_MAX_WRITABLE_DEPTH} levels: cannot be echoed"
            return ProtocolError(ProtocolErrorKind.INVALID_JSON, detail)
        msg_id = obj.get("id")
        method = obj.get("method")
        if method is None and ("result" in obj or "error" in obj):
            return self._on_response(msg_id, obj.get("result"), obj.get("error"))
        if type(method) is not str or not method:
            detail = f"method must be a non-empty string, got {brief(method)}"
            return ProtocolError(_INVALID_MESSAGE, detail, msg_id)
        try:
            return self._on_call(method, msg_id, obj.get("params"))
        except RemoteProtocolError as exc:
            return ProtocolError(exc.kind, exc.detail, msg_id, method)

    @abstractmethod
    def _on_call(self, method: str, msg_id: JsonValue, params: JsonValue) -> Event:
        """The event for a method call from the peer; may raise `RemoteProtocolError`."""

    def _on_response(self, msg_id: JsonValue, value: JsonValue, error_json: JsonValue) -> Event:
        key = _pending_key(msg_id)
        request = None if key is None else self._pending.pop(key, None)
        if request is None:
            kind = ProtocolErrorKind.UNKNOWN_RESPONSE_ID
            return ProtocolError(kind, f"no request with id {brief(msg_id)} is pending", msg_id)
        error = None if error_json is None else parse_error(error_json)
        try:
            result = parse_result(request, value, error)
        except RemoteProtocolError as exc:
            return ProtocolError(exc.kind, exc.detail, msg_id, request.method)
        self._response_received(result, error)
        return ResponseReceived(msg_id, request, result, error)

    @abstractmethod
    def _response_received(self, result: Result | None, error: StratumError | None) -> None:
        """Called for each response received, before its event is returned."""

    def _send_request(self, message: SentRequest) -> tuple[int, bytes]:
        if not may_send(self._state, message.method):
            raise LocalProtocolError(f"cannot send {message.method} in state {self._state.name}")
        request_id = self._next_id
        data = encode_request(request_id, message)
        self._next_id += 1
        self._pending[request_id] = message
        return request_id, data

    def _check_open(self) -> None:
        if self._state is SessionState.CLOSED:
            raise LocalProtocolError("cannot send on a closed connection")

    def _record_success(self, result: object) -> None:
        """Advance the state for a successful subscribe or authorize result."""
        if type(result) is SubscribeResult:
            self._state = advance(self._state, SUBSCRIBE_OK)
        elif type(result) is AuthorizeResult and result.ok:
            self._workers.add(result.worker)
            self._state = advance(self._state, AUTHORIZE_OK)


def _pending_key(msg_id: JsonValue) -> int | None:
    """Our ids are ints; a pool that echoes them as decimal strings is tolerated."""
    if type(msg_id) is int:
        return msg_id
    if type(msg_id) is str and is_small_decimal(msg_id):
        return int(msg_id)
    return None


def _writable_depth(line: bytes, value: JsonValue) -> bool:
    """Whether orjson can write `value` back (see `_MAX_WRITABLE_DEPTH`)."""
    if line.count(b"[") + line.count(b"{") <= _MAX_WRITABLE_DEPTH:
        return True
    try:
        dumps(value)
    except JSONEncodeError:
        return False
    return True


def _undecodable(line: bytes, exc: JSONDecodeError) -> ProtocolError:
    """Invalid UTF-8 and invalid JSON are told apart only here, off the hot path."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        return ProtocolError(ProtocolErrorKind.INVALID_UTF8, str(utf8_error))
    return ProtocolError(ProtocolErrorKind.INVALID_JSON, str(exc))
