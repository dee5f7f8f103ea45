"""The sans-IO federation core: two connections joined in memory, no sockets.

Auth: the right secret links, a wrong one or a replayed answer is refused,
our own challenge reflected back is refused. Framing: any chunking of the
bytes gives the same messages; garbage, oversized and unauthenticated input
raise `FederationProtocolError` (the only failure allowed) and close.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.federation.connection import (
    MAX_HANDSHAKE_LINE,
    Authenticated,
    FederationConnection,
    LinkState,
)
from loka_stratum.federation.messages import (
    BlockAnnounce,
    FederationProtocolError,
    Heartbeat,
    Hello,
    LocalProtocolError,
    Pong,
    encode_message,
    parse_message,
)

SECRET = b"a-long-shared-federation-secret"
NONCE_A, NONCE_B = bytes(range(32)), bytes(range(1, 33))


def pair(
    secret_b: bytes = SECRET, nonce_b: bytes = NONCE_B
) -> tuple[FederationConnection, FederationConnection]:
    a = FederationConnection("node-a", SECRET, NONCE_A)
    b = FederationConnection("node-b", secret_b, nonce_b)
    a.start()
    b.start()
    return a, b


def exchange(a: FederationConnection, b: FederationConnection) -> tuple[list[object], list[object]]:
    """Deliver queued bytes both ways until both are quiet."""
    got_a: list[object] = []
    got_b: list[object] = []
    for _ in range(4):  # the handshake takes two rounds
        to_b, to_a = a.data_to_send(), b.data_to_send()
        got_b += b.receive_data(to_b)
        got_a += a.receive_data(to_a)
    return got_a, got_b


def test_shared_secret_authenticates_both_ends() -> None:
    a, b = pair()
    got_a, got_b = exchange(a, b)
    assert got_a == [Authenticated("node-b")] and got_b == [Authenticated("node-a")]
    assert a.state is b.state is LinkState.ESTABLISHED


def test_secret_never_crosses_the_wire() -> None:
    a, b = pair()
    wire = a.data_to_send() + b.data_to_send()
    b.receive_data(wire[: wire.index(b"\n") + 1])
    wire += b.data_to_send()
    assert SECRET not in wire and SECRET.hex().encode() not in wire


def test_wrong_secret_is_refused() -> None:
    a, b = pair(secret_b=b"another-secret-of-some-length")
    with pytest.raises(FederationProtocolError) as info:
        exchange(a, b)
    assert info.value.error_type == "auth_failed"


def test_replayed_answer_fails_against_a_fresh_nonce() -> None:
    a, b = pair()
    b.receive_data(a.data_to_send())
    recorded = b.data_to_send()  # b's challenge and b's answer to a's first nonce
    fresh = FederationConnection("node-a", SECRET, bytes(32))
    fresh.start()
    with pytest.raises(FederationProtocolError) as info:
        fresh.receive_data(recorded)
    assert info.value.error_type == "auth_failed"
    assert fresh.state is LinkState.CLOSED


def test_reflected_challenge_is_refused() -> None:
    a = FederationConnection("node-a", SECRET, NONCE_A)
    a.start()
    with pytest.raises(FederationProtocolError) as info:
        a.receive_data(a.data_to_send())
    assert info.value.error_type == "reflected_challenge"


def test_nothing_but_the_handshake_is_taken_before_authentication() -> None:
    a = FederationConnection("node-a", SECRET, NONCE_A)
    hello = Hello("node-b", "regtest", 1, bytes(32))
    with pytest.raises(FederationProtocolError) as info:
        a.receive_data(encode_message(hello))
    assert info.value.error_type == "unauthenticated"
    with pytest.raises(LocalProtocolError):
        FederationConnection("node-a", SECRET, NONCE_A).send(hello)


def test_oversized_handshake_line_closes_before_its_end_arrives() -> None:
    a = FederationConnection("node-a", SECRET, NONCE_A)
    with pytest.raises(FederationProtocolError) as info:
        a.receive_data(b"x" * (MAX_HANDSHAKE_LINE + 1))
    assert info.value.error_type == "line_too_long"
    assert a.receive_data(b"\n") == []


def test_block_whose_hash_does_not_match_is_refused() -> None:
    header = bytes(80)
    line = encode_message(BlockAnnounce(1, sha256d(header), header))
    assert parse_message(line.strip()) == BlockAnnounce(1, sha256d(header), header)
    with pytest.raises(FederationProtocolError) as info:
        parse_message(line.replace(b'"block":"00', b'"block":"01').strip())
    assert info.value.error_type == "block_mismatch"


hashes = st.binary(min_size=32, max_size=32)
counts = st.integers(min_value=0, max_value=2**40)
finite = st.floats(min_value=0, max_value=1e18, allow_nan=False)
link_messages = st.one_of(
    st.builds(Hello, st.just("node-b"), st.just("regtest"), counts, hashes),
    st.builds(Heartbeat, finite, counts, hashes, finite, counts),
    st.builds(Pong, finite),
    st.binary(min_size=80, max_size=300).map(lambda b: BlockAnnounce(7, sha256d(b[:80]), b)),
)


@given(st.lists(link_messages, max_size=8), st.lists(st.integers(1, 64), min_size=1))
def test_any_chunking_delivers_the_same_messages(messages: list[object], cuts: list[int]) -> None:
    a, b = pair()
    exchange(a, b)
    for message in messages:
        a.send(message)  # type: ignore[arg-type]
    wire, got, at = a.data_to_send(), [], 0
    for cut in cuts * (len(wire) // sum(cuts) + 1):
        got += b.receive_data(wire[at : at + cut])
        at += cut
    assert got == messages


@given(st.binary(max_size=2048))
def test_garbage_only_ever_raises_a_protocol_error(data: bytes) -> None:
    a = FederationConnection("node-a", SECRET, os.urandom(32))
    try:
        a.receive_data(data + b"\n")
    except FederationProtocolError:
        assert a.state is LinkState.CLOSED


@given(st.binary(min_size=1, max_size=64))
def test_garbage_after_authentication_closes(junk: bytes) -> None:
    a, b = pair()
    exchange(a, b)
    with pytest.raises(FederationProtocolError):
        b.receive_data(b"{" + junk.replace(b"\n", b"") + b"\n")
    assert b.state is LinkState.CLOSED
