"""Codec round trips (hypothesis) and the exactness of the hot-path templates."""

from __future__ import annotations

import math

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.protocol import (
    Authorize,
    AuthorizeResult,
    ConfigureResult,
    JsonValue,
    LocalProtocolError,
    MinerRequest,
    PoolMessage,
    Response,
    SetDifficulty,
    StratumError,
    StratumErrorCode,
    SubmitResult,
    SubscribeResult,
    encode_notification,
    encode_request,
    encode_response,
    parse_error,
    parse_miner_request,
    parse_pool_message,
)
from loka_stratum.protocol.results import parse_result
from loka_stratum.protocol.wire import difficulty_number

from .strategies import (
    configure_results,
    difficulties,
    json_values,
    miner_requests,
    pool_messages,
    subscribe_results,
)

errors = st.none() | st.sampled_from([StratumError.of(code) for code in StratumErrorCode])


@given(json_values, miner_requests)
def test_miner_request_round_trip(request_id: JsonValue, message: MinerRequest) -> None:
    data = encode_request(request_id, message)
    assert data.endswith(b"\n")
    assert data.count(b"\n") == 1
    obj = orjson.loads(data)
    assert obj["id"] == request_id
    assert parse_miner_request(obj["method"], obj["params"]) == message


@given(pool_messages)
def test_pool_message_round_trip(message: PoolMessage) -> None:
    obj = orjson.loads(encode_notification(message))
    assert obj["id"] is None
    assert parse_pool_message(obj["method"], obj["params"]) == message


@given(subscribe_results)
def test_subscribe_result_round_trip(result: SubscribeResult) -> None:
    assert SubscribeResult.from_json(orjson.loads(orjson.dumps(result.to_json()))) == result


@given(configure_results)
def test_configure_result_round_trip(result: ConfigureResult) -> None:
    assert ConfigureResult.from_json(orjson.loads(orjson.dumps(result.to_json()))) == result


@given(st.booleans(), errors)
def test_authorize_result_round_trip(ok: bool, error: StratumError | None) -> None:
    parsed = parse_result(Authorize("w"), AuthorizeResult(ok, "w").to_json(), error)
    assert parsed == AuthorizeResult(ok and error is None, "w")


@given(difficulties)
def test_difficulty_encoding_is_exact(difficulty: float) -> None:
    data = encode_notification(SetDifficulty(difficulty))
    params = orjson.loads(data)["params"]
    assert params == [difficulty]
    assert SetDifficulty.from_params(params).difficulty == difficulty
    number = data.split(b"[")[1].split(b"]")[0]
    integral = difficulty.is_integer() and difficulty < 2**63
    assert (b"." not in number and b"e" not in number) is integral


@pytest.mark.parametrize(
    ("difficulty", "wire"),
    [(1024.0, b"1024"), (1.0, b"1"), (0.001, b"0.001"), (65536.5, b"65536.5"), (1e20, b"1e+20")],
)
def test_difficulty_as_real_pools_write_it(difficulty: float, wire: bytes) -> None:
    expected = b'{"id":null,"method":"mining.set_difficulty","params":[%b]}\n' % wire
    assert encode_notification(SetDifficulty(difficulty)) == expected


@pytest.mark.parametrize("difficulty", [0.0, -1.0, math.inf, math.nan])
def test_unusable_difficulty_is_our_bug(difficulty: float) -> None:
    with pytest.raises(LocalProtocolError):
        difficulty_number(difficulty)


@given(json_values, st.sampled_from([True, None, SubmitResult(True), SubmitResult(False)]), errors)
def test_response_templates_match_plain_encoding(
    request_id: JsonValue, result: bool | SubmitResult | None, error: StratumError | None
) -> None:
    data = encode_response(Response(request_id, result, error))
    plain = result.to_json() if isinstance(result, SubmitResult) else result
    assert orjson.loads(data) == {
        "id": request_id,
        "result": plain,
        "error": None if error is None else error.to_json(),
    }
    assert data.endswith(b"}\n")


def test_accepted_share_template() -> None:
    assert encode_response(Response(4, True)) == b'{"id":4,"result":true,"error":null}\n'
    assert encode_response(Response("4", SubmitResult(True))) == (
        b'{"id":"4","result":true,"error":null}\n'
    )


def test_rejection_with_a_custom_message_or_traceback() -> None:
    custom = Response.reject(1, StratumErrorCode.JOB_NOT_FOUND, "Stale share")
    assert orjson.loads(encode_response(custom))["error"] == [21, "Stale share", None]
    traced = Response(1, None, StratumError(20, "boom", ["line 1"]))
    assert orjson.loads(encode_response(traced))["error"] == [20, "boom", ["line 1"]]


def test_unencodable_id_is_our_bug() -> None:
    with pytest.raises(LocalProtocolError):
        encode_response(Response(2**70, True))


@given(st.sampled_from(list(StratumErrorCode)))
def test_error_codes_round_trip(code: StratumErrorCode) -> None:
    error = StratumError.of(code)
    assert parse_error(orjson.loads(orjson.dumps(error.to_json()))) == error


def test_error_code_messages() -> None:
    assert {code: code.default_message for code in StratumErrorCode} == {
        20: "Other/Unknown",
        21: "Job not found",
        22: "Duplicate share",
        23: "Low difficulty share",
        24: "Unauthorized worker",
        25: "Not subscribed",
    }
