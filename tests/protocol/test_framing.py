"""Line framing: boundaries, CRLF, limits, and lines that are not Stratum at all."""

from __future__ import annotations

from itertools import pairwise

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.protocol import (
    ConnectionClosed,
    Event,
    ProtocolError,
    ProtocolErrorKind,
    RequestReceived,
    ServerConnection,
    Subscribe,
    SuggestDifficulty,
    UnknownRequest,
)
from loka_stratum.protocol.framing import LineFramer

from .pair import drain, feed, server_event

STREAM = (
    b'{"id":1,"method":"mining.subscribe","params":["cgminer/4.11.1"]}\n'
    b'{"id":2,"method":"mining.authorize","params":["alice.rig1","x"]}\n'
    b'{"id":3,"method":"mining.submit","params":["alice.rig1","bf","00000001","504e86ed","b2"]}\n'
    b'{"id":4,"method":"mining.suggest_difficulty","params":[0.5]}\n'
)
SMALL = 64


def events_of(chunks: list[bytes], max_line_length: int = 16 * 1024) -> list[Event]:
    server = ServerConnection(max_line_length=max_line_length)
    events: list[Event] = []
    for chunk in chunks:
        events += feed(server, chunk)
    return events


def kind_of(event: Event) -> ProtocolErrorKind:
    assert isinstance(event, ProtocolError), event
    return event.kind


def padded(length: int) -> bytes:
    """A valid request line of exactly `length` bytes (without its newline)."""
    head = b'{"id":1,"method":"mining.subscribe","params":["'
    tail = b'"]}'
    return head + b"a" * (length - len(head) - len(tail)) + tail


WHOLE = events_of([STREAM])


def test_multiple_messages_in_one_chunk() -> None:
    assert len(WHOLE) == 4
    assert all(isinstance(e, RequestReceived) for e in WHOLE)


@given(st.lists(st.integers(0, len(STREAM)), max_size=12))
def test_split_at_any_byte_boundaries(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(STREAM)]
    chunks = [STREAM[a:b] for a, b in pairwise(points) if b > a]  # b"" would be EOF
    assert events_of(chunks) == WHOLE


def test_split_at_every_single_byte() -> None:
    assert events_of([STREAM[i : i + 1] for i in range(len(STREAM))]) == WHOLE


def test_crlf_line_endings() -> None:
    assert events_of([STREAM.replace(b"\n", b"\r\n")]) == WHOLE


def test_blank_and_whitespace_lines_are_skipped() -> None:
    noisy = b"\n\r\n  \t\n" + STREAM.replace(b"\n", b"\n\n \r\n")
    assert events_of([noisy]) == WHOLE


def test_exactly_max_line_length_is_accepted() -> None:
    [event] = events_of([padded(SMALL) + b"\n"], SMALL)
    assert event == RequestReceived(Subscribe("a" * (SMALL - 50)), 1)


def test_one_byte_over_is_a_fatal_error_and_the_next_line_still_parses() -> None:
    data = padded(SMALL + 1) + b"\n" + padded(SMALL) + b"\n"
    first, second = events_of([data], SMALL)
    assert isinstance(first, ProtocolError)
    assert (first.kind, first.fatal) == (ProtocolErrorKind.LINE_TOO_LONG, True)
    assert isinstance(second, RequestReceived)


def test_carriage_return_counts_towards_the_limit() -> None:
    [event] = events_of([padded(SMALL) + b"\r\n"], SMALL)
    assert kind_of(event) is ProtocolErrorKind.LINE_TOO_LONG
    [event] = events_of([padded(SMALL - 1) + b"\r\n"], SMALL)
    assert isinstance(event, RequestReceived)


def test_over_long_line_is_reported_once_and_the_buffer_stays_bounded() -> None:
    server = ServerConnection(max_line_length=SMALL)
    events: list[Event] = []
    for _ in range(1000):
        server.receive_data(b"x" * 50)
        assert server.buffered_size <= SMALL
        events += drain(server)
    events += feed(server, b"rest of the long line\n" + padded(SMALL) + b"\n")
    assert [type(e) for e in events] == [ProtocolError, RequestReceived]
    assert server.buffered_size == 0


def test_buffered_size_counts_queued_lines_and_the_tail() -> None:
    framer = LineFramer(SMALL)
    framer.feed(b"abc\ndefg\nhi")
    assert framer.buffered_size == 9
    assert framer.next_line() == b"abc"
    assert framer.buffered_size == 6


def test_max_line_length_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        LineFramer(0)


@pytest.mark.parametrize("data", [b"\xff\xfe{}\n", b'{"id":1,"method":"\xc3\x28"}\n', b"\x80\n"])
def test_invalid_utf8(data: bytes) -> None:
    assert kind_of(server_event(data)) is ProtocolErrorKind.INVALID_UTF8


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\n",
        b'{"id":1,"method":"mining.subscribe"\n',
        b"{'id': 1}\n",
        b'{"id":NaN,"method":"x"}\n',
        b'{"id":1e400,"method":"x"}\n',
        b'{"id":"\\ud800","method":"x"}\n',
    ],
)
def test_invalid_json(data: bytes) -> None:
    assert kind_of(server_event(data)) is ProtocolErrorKind.INVALID_JSON


@pytest.mark.parametrize("data", [b"[]\n", b"[1,2]\n", b"1\n", b'"x"\n', b"null\n", b"true\n"])
def test_json_that_is_not_an_object(data: bytes) -> None:
    assert kind_of(server_event(data)) is ProtocolErrorKind.NOT_AN_OBJECT


def test_huge_numbers() -> None:
    huge_id = server_event(b'{"id":123456789012345678901234567890,"method":"mining.subscribe"}\n')
    assert isinstance(huge_id, RequestReceived)
    assert huge_id.id == 1.2345678901234568e29
    big = server_event(b'{"id":1,"method":"mining.suggest_difficulty","params":[1e308]}\n')
    assert big == RequestReceived(SuggestDifficulty(1e308), 1)


def test_deeply_nested_json_is_invalid_beyond_orjson_depth() -> None:
    deep = b'{"id":1,"method":"x","params":' + b"[" * 2000 + b"]" * 2000 + b"}\n"
    assert kind_of(server_event(deep)) is ProtocolErrorKind.INVALID_JSON


def test_nested_json_within_orjson_depth_is_kept() -> None:
    nested = orjson.loads(b"[" * 253 + b"]" * 253)  # 254 levels with the object
    data = orjson.dumps({"id": 1, "method": "x.nested", "params": nested}) + b"\n"
    event = server_event(data)
    assert isinstance(event, RequestReceived)
    assert event.request == UnknownRequest("x.nested", nested)


@pytest.mark.parametrize(
    "data",
    [
        b'{"id":7,"method":"","params":[]}\n',
        b'{"id":7,"method":123,"params":[]}\n',
        b'{"id":7,"method":["mining.subscribe"]}\n',
        b'{"id":7,"method":null}\n',
        b'{"id":7}\n',
        b"{}\n",
    ],
)
def test_method_missing_empty_or_not_a_string(data: bytes) -> None:
    event = server_event(data)
    assert kind_of(event) is ProtocolErrorKind.INVALID_MESSAGE
    assert isinstance(event, ProtocolError)
    assert event.request_id == orjson.loads(data).get("id")


def test_last_line_without_newline_is_delivered_at_eof() -> None:
    server = ServerConnection()
    server.receive_data(b'{"id":1,"method":"mining.subscribe"}')
    assert drain(server) == []
    server.receive_data(b"")
    assert isinstance(server.next_event(), RequestReceived)


def test_over_long_tail_at_eof_is_not_delivered() -> None:
    server = ServerConnection(max_line_length=SMALL)
    server.receive_data(b"x" * (SMALL + 1))
    server.receive_data(b"")
    assert [type(e) for e in drain(server)] == [ProtocolError, ConnectionClosed]


@pytest.mark.parametrize("depth", [254, 1000])
def test_json_deeper_than_orjson_writes_is_refused(depth: int) -> None:
    """Such an id or params could not be echoed, forwarded, or even repr()-ed safely."""
    nested = b"[" * depth + b"]" * depth
    for data in [
        b'{"id":' + nested + b',"method":"mining.subscribe"}\n',
        b'{"id":1,"method":' + nested + b"}\n",
        b'{"id":1,"method":"x","params":' + nested + b"}\n",
    ]:
        assert kind_of(server_event(data)) is ProtocolErrorKind.INVALID_JSON


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    data = b'{"id":1,"method":"mining.subscribe","params":["' + b"[" * 600 + b'"]}\n'
    assert server_event(data) == RequestReceived(Subscribe("[" * 600), 1)


def test_error_details_stay_short() -> None:
    data = b'{"id":1,"method":"mining.suggest_difficulty","params":["' + b"x" * 10000 + b'"]}\n'
    event = server_event(data)
    assert isinstance(event, ProtocolError)
    assert len(event.detail) < 200
