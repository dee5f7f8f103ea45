"""The session state tables and how both connections follow them."""

from __future__ import annotations

import pytest

from loka_stratum.protocol import (
    Authorize,
    AuthorizeResult,
    ClientConnection,
    Configure,
    ConnectionClosed,
    ExtranonceSubscribe,
    LocalProtocolError,
    MinerRequest,
    Notify,
    RequestReceived,
    Response,
    ServerConnection,
    SessionState,
    SetDifficulty,
    SetExtranonce,
    StratumError,
    StratumErrorCode,
    Submit,
    Subscribe,
    SubscribeResult,
    SuggestDifficulty,
    encode_request,
)
from loka_stratum.protocol.state import REQUEST_REJECTIONS, TRANSITIONS, Transition, advance

from .pair import EXTRANONCE1, feed, ready_pair, state

NOT_SUBSCRIBED = StratumErrorCode.NOT_SUBSCRIBED
UNAUTHORIZED = StratumErrorCode.UNAUTHORIZED
SUBSCRIBED = SubscribeResult.create("s", EXTRANONCE1, 4)
NOTIFY = Notify("bf", "00" * 32, "01", "02", (), "20000000", "1d00ffff", "504e86b9", True)
LIVE_STATES = [s for s in SessionState if s is not SessionState.CLOSED]


def server_in(target: SessionState) -> ServerConnection:
    """A server driven into `target` through what it sends (and, for CLOSED, an EOF)."""
    server = ServerConnection()
    if target in (SessionState.SUBSCRIBED, SessionState.AUTHORIZED):
        server.send(Response(1, SUBSCRIBED))
    if target in (SessionState.AUTHORIZED_UNSUBSCRIBED, SessionState.AUTHORIZED):
        server.send(Response(2, AuthorizeResult(True, "alice.rig1")))
    if target is SessionState.CLOSED:
        server.receive_data(b"")
        assert server.next_event() == ConnectionClosed()
    assert server.state is target
    return server


def received(server: ServerConnection, message: MinerRequest) -> RequestReceived:
    [event] = feed(server, encode_request(4, message))
    assert isinstance(event, RequestReceived)
    return event


def test_every_state_has_a_row_in_every_table() -> None:
    assert set(TRANSITIONS) == set(REQUEST_REJECTIONS) == set(SessionState)
    for state_, row in TRANSITIONS.items():
        closed = state_ is SessionState.CLOSED
        assert set(row) == ({Transition.CLOSE} if closed else set(Transition))


@pytest.mark.parametrize("start", list(SessionState))
def test_close_is_reachable_from_every_state(start: SessionState) -> None:
    assert advance(start, Transition.CLOSE) is SessionState.CLOSED


@pytest.mark.parametrize(
    ("target", "worker", "expected"),
    [
        (SessionState.NEW, "alice.rig1", NOT_SUBSCRIBED),
        (SessionState.AUTHORIZED_UNSUBSCRIBED, "alice.rig1", NOT_SUBSCRIBED),
        (SessionState.SUBSCRIBED, "alice.rig1", UNAUTHORIZED),
        (SessionState.AUTHORIZED, "alice.rig1", None),
        (SessionState.AUTHORIZED, "mallory", UNAUTHORIZED),
    ],
)
def test_submit_rejection_by_state(
    target: SessionState, worker: str, expected: StratumErrorCode | None
) -> None:
    submit = Submit(worker, "bf", "00000001", "504e86ed", "b2957c02")
    assert received(server_in(target), submit) == RequestReceived(submit, 4, expected)


@pytest.mark.parametrize("target", LIVE_STATES)
@pytest.mark.parametrize(
    "message",
    [
        Subscribe("cgminer"),
        Authorize("bob", "x"),
        Configure(("version-rolling",), 0xFFFFFFFF),
        SuggestDifficulty(1000),
        ExtranonceSubscribe(),
    ],
)
def test_acceptable_in_every_state(target: SessionState, message: MinerRequest) -> None:
    assert received(server_in(target), message).rejection is None


def test_receiving_a_request_does_not_move_the_state() -> None:
    server = ServerConnection()
    received(server, Subscribe())
    received(server, Authorize("alice.rig1"))
    assert server.state is SessionState.NEW
    assert server.authorized_workers == frozenset()


def test_an_error_response_does_not_move_the_state() -> None:
    server = ServerConnection()
    error = StratumError.of(StratumErrorCode.OTHER, "full")
    server.send(Response(1, SUBSCRIBED, error))
    server.send(Response(2, AuthorizeResult(True, "alice.rig1"), error))
    assert server.state is SessionState.NEW


def test_a_refused_authorize_does_not_authorize() -> None:
    server = server_in(SessionState.SUBSCRIBED)
    server.send(Response(2, AuthorizeResult(False, "alice.rig1")))
    assert server.state is SessionState.SUBSCRIBED
    assert received(server, Submit("alice.rig1", "bf", "", "", "")).rejection is UNAUTHORIZED


def test_many_workers_on_one_connection() -> None:
    pair = ready_pair("alice.rig1", "alice.rig2")
    assert pair.server.authorized_workers == {"alice.rig1", "alice.rig2"}
    for worker, expected in [("alice.rig1", None), ("alice.rig2", None), ("alice", UNAUTHORIZED)]:
        submit = Submit(worker, "bf", "00000001", "504e86ed", "b2957c02")
        assert received(pair.server, submit).rejection is expected


def test_resubscribe_keeps_the_authorized_state() -> None:
    server = server_in(SessionState.AUTHORIZED)
    server.send(Response(3, SUBSCRIBED))
    assert server.state is SessionState.AUTHORIZED


@pytest.mark.parametrize("message", [NOTIFY, SetExtranonce(b"\x01\x02", 4)])
@pytest.mark.parametrize("target", [SessionState.NEW, SessionState.AUTHORIZED_UNSUBSCRIBED])
def test_jobs_need_a_subscription(target: SessionState, message: Notify | SetExtranonce) -> None:
    with pytest.raises(LocalProtocolError, match=message.method):
        server_in(target).send(message)


def test_set_difficulty_may_precede_the_subscription() -> None:
    assert ServerConnection().send(SetDifficulty(8)).endswith(b"[8]}\n")


def test_eof_closes_after_every_buffered_line() -> None:
    server = ServerConnection()
    server.receive_data(b'{"id":1,"method":"mining.subscribe"}\n{"id":2,"method":"mining.subsc')
    server.receive_data(b'ribe"}')
    server.receive_data(b"")
    server.receive_data(b"")
    events = [server.next_event() for _ in range(4)]
    assert [type(e).__name__ for e in events] == [
        "RequestReceived",
        "RequestReceived",
        "ConnectionClosed",
        "ConnectionClosed",
    ]
    assert server.state is SessionState.CLOSED


def test_closed_connection_refuses_to_send_or_receive() -> None:
    server = server_in(SessionState.CLOSED)
    with pytest.raises(LocalProtocolError):
        server.send(Response(1, True))
    with pytest.raises(LocalProtocolError):
        server.send(SetDifficulty(1))
    with pytest.raises(LocalProtocolError):
        server.receive_data(b"{}\n")


def test_closed_client_refuses_requests() -> None:
    client = ClientConnection()
    client.receive_data(b"")
    assert client.next_event() == ConnectionClosed()
    with pytest.raises(LocalProtocolError):
        client.send_request(Subscribe())
    with pytest.raises(LocalProtocolError):
        client.send(Response(1, "cgminer"))


def test_client_state_follows_responses_received() -> None:
    pair = ready_pair()
    assert state(pair.client) is SessionState.AUTHORIZED
    assert pair.client.authorized_workers == {"alice.rig1"}
