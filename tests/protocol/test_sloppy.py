"""What real miners send, each sloppiness its own test, fed to a server as raw lines."""

from __future__ import annotations

import orjson
import pytest

from loka_stratum.protocol import (
    Authorize,
    AuthorizeResult,
    Configure,
    ExtranonceSubscribe,
    GetTransactions,
    JsonValue,
    ProtocolError,
    ProtocolErrorKind,
    RequestReceived,
    Response,
    ServerConnection,
    SessionState,
    StratumErrorCode,
    Submit,
    Subscribe,
    SubscribeResult,
    SuggestDifficulty,
    UnknownRequest,
)

from .pair import EXTRANONCE1, feed, server_event, state

SUBMIT = Submit("alice.rig1", "bf", "00000001", "504e86ed", "b2957c02")
SUBMIT_PARAMS = SUBMIT.to_params()


def line(message: dict[str, object]) -> bytes:
    return orjson.dumps(message) + b"\n"


def request(event: object) -> RequestReceived:
    assert isinstance(event, RequestReceived), event
    return event


def ready_server(*workers: str) -> ServerConnection:
    server = ServerConnection()
    server.send(Response(1, SubscribeResult.create("s", EXTRANONCE1, 4)))
    for worker in workers:
        server.send(Response(2, AuthorizeResult(True, worker)))
    return server


@pytest.mark.parametrize(
    "request_id",
    [0, 7, -1, 2**63, "abc", "", None, 1.5, True, {"seq": 1}, [1, "a", None], 1.2345e29],
)
def test_ids_of_any_json_type_are_echoed(request_id: JsonValue) -> None:
    server = ServerConnection()
    event = request(server_event(line({"id": request_id, "method": "mining.subscribe"}), server))
    assert event.id == request_id
    data = server.send(Response(event.id, SubscribeResult.create("s", EXTRANONCE1, 4)))
    assert orjson.loads(data)["id"] == request_id


def test_integer_id_is_echoed_byte_exact() -> None:
    server = ready_server("alice.rig1")
    data = line({"id": 4, "method": "mining.submit", "params": SUBMIT_PARAMS})
    event = request(server_event(data, server))
    assert server.send(Response(event.id, True)) == b'{"id":4,"result":true,"error":null}\n'


def test_reused_ids_need_no_tracking() -> None:
    server = ready_server("alice.rig1")
    data = line({"id": 4, "method": "mining.submit", "params": SUBMIT_PARAMS}) * 3
    events = feed(server, data)
    assert [request(e).id for e in events] == [4, 4, 4]
    assert [request(e).rejection for e in events] == [None, None, None]
    answers = [server.send(Response(4, True)) for _ in events]
    assert len(set(answers)) == 1


def test_configure_before_subscribe() -> None:
    params: JsonValue = [["version-rolling"], {"version-rolling.mask": "ffffffff"}]
    event = request(server_event(line({"id": 1, "method": "mining.configure", "params": params})))
    assert event.rejection is None


def test_suggest_difficulty_before_subscribe() -> None:
    data = line({"id": 1, "method": "mining.suggest_difficulty", "params": [512]})
    event = request(server_event(data))
    assert event == RequestReceived(SuggestDifficulty(512), 1, None)


def test_authorize_before_subscribe_is_fine() -> None:
    server = ServerConnection()
    data = line({"id": 1, "method": "mining.authorize", "params": ["alice.rig1", "x"]})
    event = request(server_event(data, server))
    assert event.rejection is None
    server.send(Response(event.id, AuthorizeResult(True, "alice.rig1")))
    assert state(server) is SessionState.AUTHORIZED_UNSUBSCRIBED
    submit = line({"id": 2, "method": "mining.submit", "params": SUBMIT_PARAMS})
    assert request(server_event(submit, server)).rejection is StratumErrorCode.NOT_SUBSCRIBED
    server.send(Response(3, SubscribeResult.create("s", EXTRANONCE1, 4)))
    assert state(server) is SessionState.AUTHORIZED
    assert request(server_event(submit, server)).rejection is None


def test_unknown_method_gets_error_20_and_the_session_continues() -> None:
    server = ServerConnection()
    data = line({"id": 9, "method": "mining.capabilities", "params": {"x": 1}})
    event = request(server_event(data, server))
    assert event == RequestReceived(
        UnknownRequest("mining.capabilities", {"x": 1}), 9, StratumErrorCode.OTHER
    )
    reply = orjson.loads(server.send(Response.reject(event.id, StratumErrorCode.OTHER)))
    assert reply == {"id": 9, "result": None, "error": [20, "Other/Unknown", None]}
    assert request(server_event(line({"id": 10, "method": "mining.subscribe"}), server))


def test_multi_version_is_an_unknown_method() -> None:
    data = line({"id": 3, "method": "mining.multi_version", "params": [1]})
    event = request(server_event(data))
    assert event.request == UnknownRequest("mining.multi_version", [1])
    assert event.rejection is StratumErrorCode.OTHER


def test_params_missing() -> None:
    event = request(server_event(line({"id": 1, "method": "mining.subscribe"})))
    assert event.request == Subscribe()


def test_params_null() -> None:
    data = line({"id": 1, "method": "mining.extranonce.subscribe", "params": None})
    assert request(server_event(data)).request == ExtranonceSubscribe()


def test_params_missing_where_required_is_a_protocol_error_with_the_id() -> None:
    event = server_event(line({"id": 5, "method": "mining.authorize"}))
    assert isinstance(event, ProtocolError)
    assert event.kind is ProtocolErrorKind.INVALID_PARAMS
    assert (event.request_id, event.method, event.fatal) == (5, "mining.authorize", False)


def test_params_as_an_object() -> None:
    params: JsonValue = {"username": "alice.rig1", "password": "x"}
    event = request(server_event(line({"id": 1, "method": "mining.authorize", "params": params})))
    assert event.request == Authorize("alice.rig1", "x")


def test_submit_params_as_an_object() -> None:
    params: JsonValue = dict(
        zip(["worker", "job_id", "extranonce2", "ntime", "nonce"], SUBMIT_PARAMS, strict=True)
    )
    event = request(server_event(line({"id": 1, "method": "mining.submit", "params": params})))
    assert event.request == SUBMIT


def test_extra_params_are_ignored() -> None:
    submit = line({"id": 1, "method": "mining.submit", "params": [*SUBMIT_PARAMS, None, "x"]})
    assert request(server_event(submit)).request == SUBMIT
    authorize = line({"id": 2, "method": "mining.authorize", "params": ["w", "x", "extra"]})
    assert request(server_event(authorize)).request == Authorize("w", "x")
    params: JsonValue = ["agent", "sid", "host", 3333, "extra"]
    subscribe = line({"id": 3, "method": "mining.subscribe", "params": params})
    assert request(server_event(subscribe)).request == Subscribe("agent", "sid", "host", 3333)


def test_null_entries_in_subscribe() -> None:
    data = line({"id": 1, "method": "mining.subscribe", "params": [None, "sid", None, None]})
    assert request(server_event(data)).request == Subscribe(None, "sid")


@pytest.mark.parametrize(("sent", "expected"), [("1024", 1024.0), ("0.5", 0.5), (8, 8.0)])
def test_suggest_difficulty_number_as_string(sent: JsonValue, expected: float) -> None:
    data = line({"id": 1, "method": "mining.suggest_difficulty", "params": [sent]})
    assert request(server_event(data)).request == SuggestDifficulty(expected)


def test_suggest_difficulty_bare_scalar_params() -> None:
    data = line({"id": 1, "method": "mining.suggest_difficulty", "params": 256})
    assert request(server_event(data)).request == SuggestDifficulty(256)


@pytest.mark.parametrize("sent", ["abc", 0, -5, None, [1], "nan", "inf"])
def test_suggest_difficulty_unusable(sent: JsonValue) -> None:
    data = line({"id": 1, "method": "mining.suggest_difficulty", "params": [sent]})
    event = server_event(data)
    assert isinstance(event, ProtocolError)
    assert event.kind is ProtocolErrorKind.INVALID_PARAMS


def test_port_as_string() -> None:
    params: JsonValue = ["agent", None, "host", "3333"]
    data = line({"id": 1, "method": "mining.subscribe", "params": params})
    assert request(server_event(data)).request == Subscribe("agent", None, "host", 3333)


def test_numeric_password() -> None:
    data = line({"id": 1, "method": "mining.authorize", "params": ["w", 123]})
    assert request(server_event(data)).request == Authorize("w", "123")


def test_extranonce_subscribe() -> None:
    data = line({"id": 3, "method": "mining.extranonce.subscribe", "params": []})
    event = request(server_event(data))
    assert event == RequestReceived(ExtranonceSubscribe(), 3, None)


def test_get_transactions() -> None:
    server = ready_server()
    data = line({"id": 3, "method": "mining.get_transactions", "params": ["bf"]})
    assert request(server_event(data, server)) == RequestReceived(GetTransactions("bf"), 3)


def test_get_transactions_before_subscribe() -> None:
    data = line({"id": 3, "method": "mining.get_transactions", "params": ["bf"]})
    assert request(server_event(data)).rejection is StratumErrorCode.NOT_SUBSCRIBED


def test_submit_with_null_version_bits() -> None:
    data = line({"id": 1, "method": "mining.submit", "params": [*SUBMIT_PARAMS, None]})
    assert request(server_event(data)).request == SUBMIT


@pytest.mark.parametrize(("index", "name"), [(0, "worker"), (2, "extranonce2"), (4, "nonce")])
def test_submit_rejects_non_string_params(index: int, name: str) -> None:
    params: list[JsonValue] = list(SUBMIT_PARAMS)
    params[index] = 12345678
    event = server_event(line({"id": 4, "method": "mining.submit", "params": params}))
    assert isinstance(event, ProtocolError)
    assert event.kind is ProtocolErrorKind.INVALID_PARAMS
    assert name in event.detail
    assert (event.request_id, event.method) == (4, "mining.submit")


def test_submit_rejects_non_string_version_bits() -> None:
    event = server_event(line({"id": 4, "method": "mining.submit", "params": [*SUBMIT_PARAMS, 5]}))
    assert isinstance(event, ProtocolError)
    assert "version_bits" in event.detail


def test_submit_with_too_few_params() -> None:
    event = server_event(line({"id": 4, "method": "mining.submit", "params": SUBMIT_PARAMS[:4]}))
    assert isinstance(event, ProtocolError)
    assert event.kind is ProtocolErrorKind.INVALID_PARAMS


def test_a_decimal_string_too_long_for_int_is_invalid_params() -> None:
    data = line({"id": 1, "method": "mining.subscribe", "params": ["a", None, "h", "9" * 5000]})
    event = server_event(data)
    assert isinstance(event, ProtocolError)
    assert event.kind is ProtocolErrorKind.INVALID_PARAMS


def test_configure_without_extension_params() -> None:
    data = line({"id": 1, "method": "mining.configure", "params": [["subscribe-extranonce"]]})
    event = request(server_event(data))
    assert event.request == Configure(("subscribe-extranonce",))
    assert isinstance(event.request, Configure)
    assert event.request.subscribe_extranonce


@pytest.mark.parametrize(
    "params",
    [
        [["version-rolling"], ["ffffffff"]],
        ["version-rolling"],
        [["version-rolling"], {"version-rolling.mask": "fffffffff"}],
        [["version-rolling"], {"version-rolling.min-bit-count": "two"}],
        [["minimum-difficulty"], {"minimum-difficulty.value": -1}],
    ],
)
def test_unusable_configure_params(params: JsonValue) -> None:
    event = server_event(line({"id": 1, "method": "mining.configure", "params": params}))
    assert isinstance(event, ProtocolError)
    assert (event.kind, event.method) == (ProtocolErrorKind.INVALID_PARAMS, "mining.configure")
