"""Every message through a client and a server joined in memory."""

from __future__ import annotations

import orjson
import pytest

from loka_stratum.protocol import (
    AuthorizeResult,
    Configure,
    ConfigureResult,
    EncodedNotification,
    ExtranonceSubscribe,
    GetTransactions,
    GetVersion,
    JsonValue,
    MinerRequest,
    NotificationReceived,
    Notify,
    PoolMessage,
    RawResult,
    Reconnect,
    Response,
    ResponseReceived,
    ServerConnection,
    SessionState,
    SetDifficulty,
    SetExtranonce,
    SetVersionMask,
    ShowMessage,
    StratumError,
    StratumErrorCode,
    Submit,
    SubmitResult,
    Subscribe,
    SubscribeResult,
    SuggestDifficulty,
    negotiate_configure,
)

from .pair import EXTRANONCE1, ConnectionPair, feed, ready_pair

NOTIFY = Notify(
    job_id="bf",
    prevhash="4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000",
    coinb1="01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008",
    coinb2="072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000",
    merkle_branch=("a" * 64, "b" * 64),
    version="00000002",
    nbits="1c2ac4af",
    ntime="504e86b9",
    clean_jobs=False,
)


@pytest.mark.parametrize(
    "subscribe",
    [
        Subscribe(),
        Subscribe("cgminer/4.11.1"),
        Subscribe("bmminer/2.0.0", "ae6812eb"),
        Subscribe("NiceHash/1.0.0", "ae6812eb", "pool.example.com", 3333),
        Subscribe("sgminer", None, "pool.example.com", 3333),
    ],
)
def test_subscribe(subscribe: Subscribe) -> None:
    pair = ConnectionPair()
    assert pair.request(subscribe).request == subscribe
    result = SubscribeResult.create("ae6812eb", EXTRANONCE1, 4)
    received = pair.respond(Response(1, result))
    assert received.request == subscribe
    assert received.result == result
    assert received.error is None
    assert pair.server.state is pair.client.state is SessionState.SUBSCRIBED


def test_subscribe_result_wire_shape() -> None:
    result = SubscribeResult.create("sid", bytes.fromhex("08000002"), 4)
    data = ServerConnection().send(Response(1, result))
    assert orjson.loads(data)["result"] == [
        [["mining.set_difficulty", "sid"], ["mining.notify", "sid"]],
        "08000002",
        4,
    ]


def test_configure_version_rolling_takes_the_common_bits() -> None:
    pair = ConnectionPair()
    asked = Configure(("version-rolling",), 0xFFFFFFFF, 2)
    event = pair.request(asked)
    assert event.request == asked
    assert isinstance(event.request, Configure)
    answer = negotiate_configure(event.request, pool_mask=0x1FFFE000)
    data = pair.server.send(Response(event.id, answer))
    assert orjson.loads(data)["result"] == {
        "version-rolling": True,
        "version-rolling.mask": "1fffe000",
    }
    [received] = feed(pair.client, data)
    assert isinstance(received, ResponseReceived)
    assert received.result == ConfigureResult(version_rolling=True, version_rolling_mask=0x1FFFE000)
    assert pair.server.state is SessionState.NEW


def test_configure_refuses_version_rolling_below_min_bit_count() -> None:
    pair = ConnectionPair()
    event = pair.request(Configure(("version-rolling",), 0x1FFFE000, 17))
    assert isinstance(event.request, Configure)
    answer = negotiate_configure(event.request, pool_mask=0x1FFFE000)
    assert answer == ConfigureResult(version_rolling=False)
    assert pair.respond(Response(event.id, answer)).result == answer


def test_configure_other_extensions() -> None:
    pair = ConnectionPair()
    asked = Configure(
        ("version-rolling", "minimum-difficulty", "subscribe-extranonce"),
        version_rolling_mask=0x00FFFF00,
        minimum_difficulty=2048,
    )
    event = pair.request(asked)
    assert isinstance(event.request, Configure)
    assert event.request.subscribe_extranonce
    answer = negotiate_configure(event.request, pool_mask=None, minimum_difficulty=True)
    received = pair.respond(Response(event.id, answer))
    assert received.result == ConfigureResult(False, None, True, False)


def test_authorize() -> None:
    pair = ConnectionPair()
    pair.subscribe()
    received = pair.authorize("alice.rig1")
    assert received.result == AuthorizeResult(True, "alice.rig1")
    assert pair.server.state is pair.client.state is SessionState.AUTHORIZED
    assert pair.server.authorized_workers == pair.client.authorized_workers == {"alice.rig1"}


@pytest.mark.parametrize("version_bits", [None, "1fffe000"])
def test_submit(version_bits: str | None) -> None:
    pair = ready_pair()
    submit = Submit("alice.rig1", "bf", "00000001", "504e86ed", "b2957c02", version_bits)
    received = pair.exchange(submit, SubmitResult(True))
    assert received.request == submit
    assert received.result == SubmitResult(True)


@pytest.mark.parametrize("code", list(StratumErrorCode))
def test_every_error_code(code: StratumErrorCode) -> None:
    pair = ready_pair()
    event = pair.request(Submit("alice.rig1", "bf", "00000001", "504e86ed", "b2957c02"))
    received = pair.respond(Response.reject(event.id, code))
    assert received.result == SubmitResult(False)
    assert received.error == StratumError(int(code), code.default_message)


@pytest.mark.parametrize(
    "message",
    [
        NOTIFY,
        SetDifficulty(1024),
        SetDifficulty(0.001),
        SetExtranonce(bytes.fromhex("0badf00d"), 4),
        SetVersionMask(0x1FFFE000),
        Reconnect(),
        Reconnect("pool.example.com", 3333),
        Reconnect("pool.example.com", 3333, 10),
        ShowMessage("maintenance at 12:00 UTC"),
    ],
)
def test_notifications(message: PoolMessage) -> None:
    pair = ready_pair()
    assert pair.notify(message) == NotificationReceived(message, None)


def test_a_job_is_encoded_once_for_every_session() -> None:
    encoded = EncodedNotification.of(NOTIFY)
    pairs = [ready_pair(), ready_pair()]
    lines = [pair.server.send(encoded) for pair in pairs]
    assert lines[0] is lines[1] is encoded.line
    assert pairs[1].server.send(NOTIFY) == encoded.line
    assert feed(pairs[0].client, lines[0]) == [NotificationReceived(NOTIFY)]


def test_get_version_is_a_request_the_miner_answers() -> None:
    pair = ready_pair()
    request_id, data = pair.server.send_request(GetVersion())
    [event] = feed(pair.client, data)
    assert event == NotificationReceived(GetVersion(), request_id)
    reply = pair.client.send(Response(request_id, RawResult("cgminer/4.11.1")))
    [answer] = feed(pair.server, reply)
    assert answer == ResponseReceived(request_id, GetVersion(), RawResult("cgminer/4.11.1"))


@pytest.mark.parametrize(
    ("request_message", "result"),
    [
        (SuggestDifficulty(65536), True),
        (ExtranonceSubscribe(), True),
        (GetTransactions("bf"), ["0100"]),
    ],
)
def test_other_requests(request_message: MinerRequest, result: JsonValue) -> None:
    pair = ready_pair()
    received = pair.exchange(request_message, result)
    assert received.request == request_message
    assert received.result == RawResult(result)
