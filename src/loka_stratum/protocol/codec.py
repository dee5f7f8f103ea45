"""Messages to bytes and back: one JSON object per line, encoded with orjson.

The per-share paths are templated: an accepted submit is
`{"id":<id>,"result":true,"error":null}` and a rejection with a conventional
message is one of six pre-encoded tails, so answering a share costs one
`orjson.dumps` of the id and a concatenation.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from loka_stratum.protocol.configure import ConfigureResult
from loka_stratum.protocol.errors import LocalProtocolError, StratumError, StratumErrorCode
from loka_stratum.protocol.miner_messages import MINER_METHODS, MinerRequest, UnknownRequest
from loka_stratum.protocol.pool_messages import POOL_METHODS, PoolMessage
from loka_stratum.protocol.results import (
    AuthorizeResult,
    RawResult,
    Response,
    Result,
    SubmitResult,
    SubscribeResult,
)
from loka_stratum.protocol.wire import JsonValue, brief

_NEWLINE = orjson.OPT_APPEND_NEWLINE
_ACCEPTED_TAIL = b',"result":true,"error":null}\n'


def _rejection_tail(error: StratumError) -> bytes:
    return b',"result":null,"error":' + orjson.dumps(error.to_json()) + b"}\n"


_REJECTED_TAILS = {
    int(code): (code.default_message, _rejection_tail(StratumError.of(code)))
    for code in StratumErrorCode
}
"""Code -> (conventional message, pre-encoded tail of the response)."""
_NO_TAIL = (None, b"")


def _dumps(value: JsonValue, option: int = _NEWLINE) -> bytes:
    """orjson.dumps, with values it cannot encode reported as the caller's bug."""
    try:
        return orjson.dumps(value, option=option)
    except orjson.JSONEncodeError as exc:
        raise LocalProtocolError(f"cannot encode {brief(value)}: {exc}") from exc


def encode_request(request_id: JsonValue, message: MinerRequest | PoolMessage) -> bytes:
    """A method call that expects a response under `request_id`."""
    return _dumps({"id": request_id, "method": message.method, "params": message.to_params()})


def encode_notification(message: MinerRequest | PoolMessage) -> bytes:
    """A method call with id null. Identical for every session, so encode a job once."""
    return _dumps({"id": None, "method": message.method, "params": message.to_params()})


def _result_json(result: Result | JsonValue) -> JsonValue:
    if isinstance(
        result, SubscribeResult | AuthorizeResult | SubmitResult | ConfigureResult | RawResult
    ):
        return result.to_json()
    return result


def encode_response(response: Response) -> bytes:
    """A response line; accepted shares and conventional rejections take a template."""
    result, error = response.result, response.error
    if error is None:
        if result is not True and not (type(result) is SubmitResult and result.accepted):
            return _dumps({"id": response.id, "result": _result_json(result), "error": None})
        tail = _ACCEPTED_TAIL
    else:
        message, tail = _REJECTED_TAILS.get(error.code, _NO_TAIL)
        if message != error.message or result is not None or error.traceback is not None:
            payload = {"id": response.id, "result": _result_json(result), "error": error.to_json()}
            return _dumps(payload)
    return b'{"id":' + _dumps(response.id, 0) + tail


@dataclass(frozen=True, slots=True)
class EncodedNotification:
    """A notification encoded once and sent to many sessions (a job broadcast).

    `ServerConnection.send` checks `method` against the session's state and returns
    `line` itself, so a broadcast costs one encode however many miners are connected.
    """

    method: str
    line: bytes

    @classmethod
    def of(cls, message: PoolMessage) -> EncodedNotification:
        """Encode `message` (id null) once."""
        return cls(message.method, encode_notification(message))


def parse_miner_request(method: str, params: JsonValue) -> MinerRequest:
    """A miner's request by method name; methods we do not know become `UnknownRequest`."""
    parser = MINER_METHODS.get(method)
    return UnknownRequest(method, params) if parser is None else parser(params)


def parse_pool_message(method: str, params: JsonValue) -> PoolMessage:
    """A pool's message by method name; methods we do not know become `UnknownRequest`."""
    parser = POOL_METHODS.get(method)
    return UnknownRequest(method, params) if parser is None else parser(params)
