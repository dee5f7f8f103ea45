"""Responses: the `Response` a side sends, and the typed results a side receives.

A pool answers with `Response(id, result, error)`. Passing a typed result
(`SubscribeResult`, `AuthorizeResult`) rather than raw JSON is what lets the server
connection advance its state when it sends the response, as h11 does.

A client gets the same typed results back, chosen by the request it sent under that
id: a submit or authorize response is always a `SubmitResult` / `AuthorizeResult`
(false when rejected, whatever shape the rejection had); a subscribe or configure
response that carries an error has no result; anything else is a `RawResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from loka_stratum.protocol.configure import Configure, ConfigureResult
from loka_stratum.protocol.errors import ProtocolErrorKind, StratumError, StratumErrorCode
from loka_stratum.protocol.miner_messages import Authorize, MinerRequest, Submit, Subscribe
from loka_stratum.protocol.params import as_hex_bytes, as_int, invalid
from loka_stratum.protocol.pool_messages import PoolMessage
from loka_stratum.protocol.wire import JsonValue, brief

_RESULT = ProtocolErrorKind.INVALID_RESULT


@dataclass(frozen=True, slots=True)
class SubscribeResult:
    """`[[["mining.set_difficulty", sid], ["mining.notify", sid]], extranonce1, size]`."""

    subscriptions: tuple[tuple[str, str], ...]
    extranonce1: bytes
    extranonce2_size: int

    @classmethod
    def create(cls, subscription_id: str, extranonce1: bytes, size: int) -> SubscribeResult:
        """The conventional result: both subscriptions under one id."""
        pairs = (("mining.set_difficulty", subscription_id), ("mining.notify", subscription_id))
        return cls(pairs, extranonce1, size)

    def to_json(self) -> JsonValue:
        pairs: list[JsonValue] = [[name, sid] for name, sid in self.subscriptions]
        return [pairs, self.extranonce1.hex(), self.extranonce2_size]

    @classmethod
    def from_json(cls, value: JsonValue) -> SubscribeResult:
        if type(value) is not list or len(value) < 3:
            raise invalid(f"subscribe result must be a list of 3, got {brief(value)}", _RESULT)
        extranonce1 = as_hex_bytes(value[1], "extranonce1", _RESULT)
        size = as_int(value[2], "extranonce2_size", _RESULT)
        return cls(_subscriptions(value[0]), extranonce1, size)


def _subscriptions(value: JsonValue) -> tuple[tuple[str, str], ...]:
    """Subscription pairs; pools send a list of pairs, one bare pair, or nothing usable."""
    if type(value) is not list:
        return ()
    if len(value) == 2 and type(value[0]) is str and type(value[1]) is str:
        return ((value[0], value[1]),)
    pairs = []
    for item in value:
        if type(item) is not list or len(item) < 2:
            raise invalid(f"bad subscription {brief(item)}", _RESULT)
        name, sid = item[0], item[1]
        if type(name) is not str or type(sid) is not str:
            raise invalid(f"bad subscription {brief(item)}", _RESULT)
        pairs.append((name, sid))
    return tuple(pairs)


@dataclass(frozen=True, slots=True)
class AuthorizeResult:
    """Whether `worker` is authorized. `worker` is not on the wire: it names the request."""

    ok: bool
    worker: str

    def to_json(self) -> JsonValue:
        return self.ok


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """Whether the share was accepted; the rejection itself is the response's error."""

    accepted: bool

    def to_json(self) -> JsonValue:
        return self.accepted


@dataclass(frozen=True, slots=True)
class RawResult:
    """The result of a request without a typed result (get_version, suggest_difficulty, ...)."""

    value: JsonValue

    def to_json(self) -> JsonValue:
        return self.value


Result: TypeAlias = SubscribeResult | AuthorizeResult | SubmitResult | ConfigureResult | RawResult


@dataclass(frozen=True, slots=True)
class Response:
    """A response to send: `id` echoes the request's id exactly, whatever its JSON type."""

    id: JsonValue
    result: Result | JsonValue = None
    error: StratumError | None = None

    @classmethod
    def reject(
        cls, request_id: JsonValue, code: StratumErrorCode, message: str | None = None
    ) -> Response:
        """An error response with the conventional message for `code` unless one is given."""
        return cls(request_id, None, StratumError.of(code, message))


def parse_error(value: JsonValue) -> StratumError:
    """A received error, from a `[code, message, traceback]` list, an object or a string."""
    if type(value) is list:
        code, message, traceback = [*value, None, None, None][:3]
    elif isinstance(value, dict):
        code, message = value.get("code"), value.get("message")
        traceback = value.get("data", value.get("traceback"))
    elif type(value) is str:
        return StratumError(StratumErrorCode.OTHER, value)
    else:
        return StratumError(StratumErrorCode.OTHER, brief(value))
    number = code if type(code) is int else StratumErrorCode.OTHER
    if type(message) is not str:
        message = "" if message is None else brief(message)
    return StratumError(int(number), message, traceback)


SentRequest: TypeAlias = MinerRequest | PoolMessage
"""A request either side can send and later receive the response to."""


def parse_result(
    request: SentRequest, value: JsonValue, error: StratumError | None
) -> Result | None:
    """The typed result of `request` (see the module docstring for when it is None)."""
    if type(request) is Submit:
        return SubmitResult(value is True and error is None)
    if type(request) is Authorize:
        return AuthorizeResult(value is True and error is None, request.username)
    if type(request) is Subscribe:
        return None if error is not None else SubscribeResult.from_json(value)
    if type(request) is Configure:
        return None if error is not None else ConfigureResult.from_json(value)
    return RawResult(value)
