"""Fuzzing both cores: whatever arrives, the only outcomes are events; memory stays bounded."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loka_stratum.protocol import (
    ClientConnection,
    ConnectionClosed,
    Event,
    JsonValue,
    NotificationReceived,
    ProtocolError,
    RequestReceived,
    Response,
    ResponseReceived,
    ServerConnection,
    StratumConnection,
    StratumErrorCode,
    Subscribe,
)

from .pair import drain
from .strategies import MINER_METHOD_NAMES, POOL_METHOD_NAMES, json_values

MAX_LINE = 256
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

raw_chunks = st.lists(
    st.binary(min_size=1, max_size=600)
    | st.sampled_from([b"\n", b"\r\n", b"{", b"}", b'"', b"\xff", b"[" * 300]),
    max_size=20,
)


def method_calls(methods: frozenset[str]) -> st.SearchStrategy[bytes]:
    """Lines that look like requests: a known method with arbitrary id and params."""
    call = st.fixed_dictionaries(
        {"method": st.sampled_from(sorted(methods)) | json_values},
        optional={"id": json_values, "params": json_values, "result": json_values},
    )
    return call.map(lambda obj: orjson.dumps(obj) + b"\n")


json_lines = st.lists(
    json_values.map(lambda value: orjson.dumps(value) + b"\n")
    | method_calls(MINER_METHOD_NAMES | POOL_METHOD_NAMES),
    max_size=10,
)


def run(conn: StratumConnection, chunks: list[bytes]) -> list[Event]:
    """Feed every chunk, answering requests as an application would; check the bounds."""
    events: list[Event] = []
    for chunk in chunks:
        conn.receive_data(chunk)
        assert conn.buffered_size <= MAX_LINE + len(chunk)
        for event in drain(conn):
            events.append(event)
            answer(conn, event)
        assert conn.buffered_size <= MAX_LINE
    conn.receive_data(b"")
    events += drain(conn)
    assert isinstance(events[-1], ConnectionClosed)
    return events


def answer(conn: StratumConnection, event: Event) -> None:
    """Answering any request must always encode: ids are echoed as received."""
    if isinstance(conn, ServerConnection) and isinstance(event, RequestReceived):
        conn.send(Response.reject(event.id, event.rejection or StratumErrorCode.OTHER))
    if isinstance(conn, ClientConnection) and isinstance(event, NotificationReceived):
        conn.send(Response(event.id, None))


@FUZZ
@given(raw_chunks)
def test_server_survives_random_bytes(chunks: list[bytes]) -> None:
    events = run(ServerConnection(max_line_length=MAX_LINE), chunks)
    assert all(isinstance(e, RequestReceived | ProtocolError) for e in events[:-1])


@FUZZ
@given(json_lines)
def test_server_survives_random_json(lines: list[bytes]) -> None:
    events = run(ServerConnection(max_line_length=MAX_LINE), lines)
    assert all(isinstance(e, RequestReceived | ProtocolError) for e in events[:-1])


@FUZZ
@given(raw_chunks)
def test_client_survives_random_bytes(chunks: list[bytes]) -> None:
    events = run(ClientConnection(max_line_length=MAX_LINE), chunks)
    assert all(isinstance(e, NotificationReceived | ProtocolError) for e in events[:-1])


@FUZZ
@given(json_lines, json_values)
def test_client_survives_random_responses(lines: list[bytes], result: JsonValue) -> None:
    client = ClientConnection(max_line_length=MAX_LINE)
    request_id, _ = client.send_request(Subscribe())
    reply = orjson.dumps({"id": request_id, "result": result, "error": result}) + b"\n"
    events = run(client, [reply, *lines])
    expected = NotificationReceived | ResponseReceived | ProtocolError
    assert all(isinstance(e, expected) for e in events[:-1])
