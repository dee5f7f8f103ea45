"""The client side against what real pools send, and the client's own rules."""

from __future__ import annotations

import orjson
import pytest

from loka_stratum.protocol import (
    Authorize,
    ClientConnection,
    Configure,
    ConfigureResult,
    JsonValue,
    LocalProtocolError,
    NotificationReceived,
    Notify,
    ProtocolError,
    ProtocolErrorKind,
    Reconnect,
    ResponseReceived,
    SessionState,
    SetDifficulty,
    StratumError,
    Submit,
    SubmitResult,
    Subscribe,
    SubscribeResult,
    UnknownRequest,
)

from .pair import EXTRANONCE1, feed, ready_pair

NOTIFY_PARAMS: list[JsonValue] = [
    "bf",
    "00" * 32,
    "01",
    "02",
    ["aa" * 32],
    "20000000",
    "1d00ffff",
    "504e86b9",
]


def line(message: dict[str, object]) -> bytes:
    return orjson.dumps(message) + b"\n"


def one(client: ClientConnection, data: bytes) -> object:
    events = feed(client, data)
    assert len(events) == 1, events
    return events[0]


def subscribed_client() -> tuple[ClientConnection, int]:
    client = ClientConnection()
    request_id, _ = client.send_request(Subscribe("loka/0.1"))
    return client, request_id


def test_ids_increment() -> None:
    client = ClientConnection()
    ids = [client.send_request(Subscribe())[0], client.send_request(Authorize("w"))[0]]
    assert ids == [1, 2]


def test_unknown_response_id_is_a_protocol_error() -> None:
    event = one(ClientConnection(), line({"id": 7, "result": True, "error": None}))
    assert isinstance(event, ProtocolError)
    assert (event.kind, event.request_id) == (ProtocolErrorKind.UNKNOWN_RESPONSE_ID, 7)


@pytest.mark.parametrize("echoed", [[1], {"id": 1}, None, 1.0])
def test_response_id_of_another_type_is_unknown(echoed: JsonValue) -> None:
    client, _ = subscribed_client()
    event = one(client, line({"id": echoed, "result": True, "error": None}))
    assert isinstance(event, ProtocolError)
    assert event.kind is ProtocolErrorKind.UNKNOWN_RESPONSE_ID


def test_a_second_response_to_the_same_id_is_unknown() -> None:
    client = ClientConnection()
    request_id, _ = client.send_request(Authorize("w", "x"))
    reply = line({"id": request_id, "result": True, "error": None})
    assert isinstance(one(client, reply), ResponseReceived)
    assert isinstance(one(client, reply), ProtocolError)


def test_response_id_echoed_as_a_string() -> None:
    client = ClientConnection()
    client.send_request(Authorize("w", "x"))
    event = one(client, line({"id": "1", "result": True, "error": None}))
    assert isinstance(event, ResponseReceived)
    assert event.request == Authorize("w", "x")


@pytest.mark.parametrize(("sent", "expected"), [(1024, 1024.0), (0.25, 0.25), ("512", 512.0)])
def test_set_difficulty_as_int_float_or_string(sent: JsonValue, expected: float) -> None:
    data = line({"id": None, "method": "mining.set_difficulty", "params": [sent]})
    assert one(ClientConnection(), data) == NotificationReceived(SetDifficulty(expected))


def test_notify_without_clean_jobs() -> None:
    data = line({"id": None, "method": "mining.notify", "params": NOTIFY_PARAMS})
    event = one(ClientConnection(), data)
    assert isinstance(event, NotificationReceived)
    assert isinstance(event.message, Notify)
    assert event.message.clean_jobs is False


def test_notify_clean_jobs_as_one() -> None:
    data = line({"id": None, "method": "mining.notify", "params": [*NOTIFY_PARAMS, 1]})
    event = one(ClientConnection(), data)
    assert isinstance(event, NotificationReceived)
    assert isinstance(event.message, Notify)
    assert event.message.clean_jobs is True


def test_notify_with_too_few_params() -> None:
    data = line({"id": None, "method": "mining.notify", "params": NOTIFY_PARAMS[:7]})
    event = one(ClientConnection(), data)
    assert isinstance(event, ProtocolError)
    assert (event.kind, event.method) == (ProtocolErrorKind.INVALID_PARAMS, "mining.notify")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ([23, "Low difficulty share", None], StratumError(23, "Low difficulty share")),
        ([21, "Stale", "Traceback ..."], StratumError(21, "Stale", "Traceback ...")),
        ([22], StratumError(22, "")),
        ({"code": 22, "message": "Duplicate"}, StratumError(22, "Duplicate")),
        ({"code": -32601, "message": "Method not found"}, StratumError(-32601, "Method not found")),
        ({"message": "no code"}, StratumError(20, "no code")),
        ("Job not found", StratumError(20, "Job not found")),
        (["21", 5, None], StratumError(20, "5")),
        (True, StratumError(20, "True")),
    ],
)
def test_error_shapes(error: JsonValue, expected: StratumError) -> None:
    pair = ready_pair()
    request_id, _ = pair.client.send_request(Submit("alice.rig1", "bf", "00", "00", "00"))
    event = one(pair.client, line({"id": request_id, "result": None, "error": error}))
    assert event == ResponseReceived(
        request_id, Submit("alice.rig1", "bf", "00", "00", "00"), SubmitResult(False), expected
    )


def test_submit_result_false_without_error() -> None:
    pair = ready_pair()
    request_id, _ = pair.client.send_request(Submit("alice.rig1", "bf", "00", "00", "00"))
    event = one(pair.client, line({"id": request_id, "result": False, "error": None}))
    assert isinstance(event, ResponseReceived)
    assert (event.result, event.error) == (SubmitResult(False), None)


def test_subscribe_error_has_no_result_and_keeps_state() -> None:
    client, request_id = subscribed_client()
    event = one(client, line({"id": request_id, "result": None, "error": [20, "busy", None]}))
    assert isinstance(event, ResponseReceived)
    assert (event.result, event.error) == (None, StratumError(20, "busy"))
    assert client.state is SessionState.NEW


@pytest.mark.parametrize(
    "result",
    [
        None,
        [],
        [[], "zz", 4],
        [[], "0011", "four"],
        [[["mining.notify"]], "00", 4],
        [[["mining.notify", 5]], "00", 4],
        5,
    ],
)
def test_malformed_subscribe_result(result: JsonValue) -> None:
    client, request_id = subscribed_client()
    event = one(client, line({"id": request_id, "result": result, "error": None}))
    assert isinstance(event, ProtocolError)
    assert event.kind is ProtocolErrorKind.INVALID_RESULT
    assert (event.request_id, event.method) == (request_id, "mining.subscribe")


@pytest.mark.parametrize(
    ("subscriptions", "expected"),
    [
        (["mining.notify", "ab"], (("mining.notify", "ab"),)),
        (None, ()),
        ([["mining.notify", "ab", "extra"]], (("mining.notify", "ab"),)),
    ],
)
def test_sloppy_subscriptions(
    subscriptions: JsonValue, expected: tuple[tuple[str, str], ...]
) -> None:
    client, request_id = subscribed_client()
    result: JsonValue = [subscriptions, EXTRANONCE1.hex(), "4"]
    event = one(client, line({"id": request_id, "result": result, "error": None}))
    assert isinstance(event, ResponseReceived)
    assert event.result == SubscribeResult(expected, EXTRANONCE1, 4)


def test_configure_result_with_an_error_string() -> None:
    client = ClientConnection()
    request_id, _ = client.send_request(Configure(("version-rolling",), 0xFFFFFFFF))
    result: JsonValue = {"version-rolling": "not supported"}
    event = one(client, line({"id": request_id, "result": result, "error": None}))
    assert isinstance(event, ResponseReceived)
    assert event.result == ConfigureResult(version_rolling=False)


def test_configure_result_not_an_object() -> None:
    client = ClientConnection()
    request_id, _ = client.send_request(Configure(("version-rolling",)))
    event = one(client, line({"id": request_id, "result": True, "error": None}))
    assert isinstance(event, ProtocolError)
    assert event.kind is ProtocolErrorKind.INVALID_RESULT


def test_rejected_authorize_does_not_authorize() -> None:
    pair = ready_pair()
    request_id, _ = pair.client.send_request(Authorize("bob", "x"))
    one(pair.client, line({"id": request_id, "result": False, "error": None}))
    assert pair.client.authorized_workers == {"alice.rig1"}
    with pytest.raises(LocalProtocolError, match="UNAUTHORIZED"):
        pair.client.send_request(Submit("bob", "bf", "00", "00", "00"))


def test_client_refuses_to_submit_before_subscribing() -> None:
    with pytest.raises(LocalProtocolError, match="NOT_SUBSCRIBED"):
        ClientConnection().send_request(Submit("w", "bf", "00", "00", "00"))


def test_unknown_pool_method() -> None:
    data = line({"id": None, "method": "mining.set_goal", "params": ["x"]})
    assert one(ClientConnection(), data) == NotificationReceived(
        UnknownRequest("mining.set_goal", ["x"])
    )


def test_reconnect_with_an_id_is_answerable() -> None:
    data = line({"id": 12, "method": "client.reconnect", "params": ["h", "3333", 5]})
    assert one(ClientConnection(), data) == NotificationReceived(Reconnect("h", 3333, 5), 12)


@pytest.mark.parametrize("port", [70000, "x", -1])
def test_reconnect_bad_port(port: JsonValue) -> None:
    data = line({"id": None, "method": "client.reconnect", "params": ["h", port]})
    event = one(ClientConnection(), data)
    assert isinstance(event, ProtocolError)
    assert event.kind is ProtocolErrorKind.INVALID_PARAMS


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("mining.set_extranonce", ["zz", 4]),
        ("mining.set_extranonce", ["00 11", 4]),
        ("mining.set_extranonce", ["0011", 64]),
        ("mining.set_version_mask", ["1fffe0000"]),
        ("mining.set_version_mask", ["0x1fffe0"]),
        ("client.show_message", [5]),
        ("mining.set_extranonce", [5, 4]),
        ("mining.notify", [*NOTIFY_PARAMS, "yes"]),
        ("mining.notify", [*NOTIFY_PARAMS[:4], "aa", *NOTIFY_PARAMS[5:]]),
    ],
)
def test_unusable_pool_params(method: str, params: JsonValue) -> None:
    event = one(ClientConnection(), line({"id": None, "method": method, "params": params}))
    assert isinstance(event, ProtocolError)
    assert (event.kind, event.method) == (ProtocolErrorKind.INVALID_PARAMS, method)


def test_response_id_as_a_very_long_decimal_string_is_unknown() -> None:
    client, _ = subscribed_client()
    event = one(client, line({"id": "1" * 5000, "result": True, "error": None}))
    assert isinstance(event, ProtocolError)
    assert event.kind is ProtocolErrorKind.UNKNOWN_RESPONSE_ID


def test_pending_requests_and_forget() -> None:
    client = ClientConnection()
    first, _ = client.send_request(Subscribe())
    second, _ = client.send_request(Authorize("w", "x"))
    assert dict(client.pending_requests) == {first: Subscribe(), second: Authorize("w", "x")}
    client.forget(second)
    assert list(client.pending_requests) == [first]
    late = one(client, line({"id": second, "result": True, "error": None}))
    assert isinstance(late, ProtocolError)
    assert late.kind is ProtocolErrorKind.UNKNOWN_RESPONSE_ID
