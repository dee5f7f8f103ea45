"""The Stratum coinbase split: layout, consensus limits, errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.bitcoin.block import witness_commitment_script
from loka_stratum.bitcoin.coinbase import (
    CoinbaseError,
    CoinbaseOutput,
    CoinbaseParts,
    build_coinbase,
)
from loka_stratum.bitcoin.encoding import bip34_height_script, push_data
from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.bitcoin.tx import Transaction

P2WPKH = bytes.fromhex("0014") + bytes(range(20))
PAYOUT = [CoinbaseOutput(50 * 10**8, P2WPKH)]
COMMITMENT = witness_commitment_script(bytes(range(32)))
EN1, EN2 = b"\xa1\xa2\xa3\xa4", b"\xb1\xb2\xb3\xb4"


def _build(**changes: object) -> CoinbaseParts:
    arguments: dict[str, object] = {
        "height": 840_000,
        "outputs": PAYOUT,
        "extranonce1_size": 4,
        "extranonce2_size": 4,
    }
    arguments.update(changes)
    return build_coinbase(**arguments)  # type: ignore[arg-type]


def _script_sig(parts: CoinbaseParts, en1: bytes = EN1, en2: bytes = EN2) -> bytes:
    return Transaction.parse(parts.assemble(en1, en2)).inputs[0].script_sig


def test_layout_height_aux_slot_tag() -> None:
    aux = push_data(b"\x01\x02")
    parts = _build(pool_tag=b"/loka/", aux_script=aux)
    expected = bip34_height_script(840_000) + aux + push_data(EN1 + EN2) + push_data(b"/loka/")
    assert _script_sig(parts) == expected
    assert parts.coinb1.endswith(bip34_height_script(840_000) + aux + b"\x08")


def test_assembled_coinbase_is_a_valid_coinbase_transaction() -> None:
    parts = _build(pool_tag=b"tag", sequence=0xFFFFFFFE, locktime=7, version=2)
    raw = parts.assemble(EN1, EN2)
    tx = Transaction.parse(raw)
    assert tx.is_coinbase()
    assert not tx.has_witness()
    assert (tx.version, tx.locktime, tx.inputs[0].sequence) == (2, 7, 0xFFFFFFFE)
    assert [(out.value, out.script_pubkey) for out in tx.outputs] == [(50 * 10**8, P2WPKH)]
    assert sha256d(raw) == tx.txid()


def test_witness_commitment_is_the_last_zero_value_output() -> None:
    outputs = [CoinbaseOutput(1, P2WPKH), CoinbaseOutput(2, b"\x51")]
    parts = _build(outputs=outputs, witness_commitment=COMMITMENT)
    tx = Transaction.parse(parts.assemble(EN1, EN2))
    assert [(out.value, out.script_pubkey) for out in tx.outputs] == [
        (1, P2WPKH),
        (2, b"\x51"),
        (0, COMMITMENT),
    ]


def test_large_extranonce_slot_uses_pushdata1() -> None:
    parts = _build(extranonce1_size=40, extranonce2_size=40)
    assert parts.coinb1.endswith(b"\x4c\x50")
    assert _script_sig(parts, bytes(40), bytes(40)).endswith(b"\x4c\x50" + bytes(80))


def test_long_pool_tag_is_truncated_to_100_bytes() -> None:
    tag = bytes(range(1, 201))
    script = _script_sig(_build(pool_tag=tag))
    assert len(script) == 100
    head = len(bip34_height_script(840_000)) + 1 + 8
    # 87 bytes are left: an OP_PUSHDATA1 of 85 beats a direct push of 75.
    assert script[head:] == push_data(tag[: 100 - head - 2])


def test_short_tag_fits_whole() -> None:
    assert _script_sig(_build(pool_tag=b"x")).endswith(b"\x01x")


def test_tag_dropped_when_only_one_byte_is_left() -> None:
    # height 2 bytes + OP_PUSHDATA1 95 (2 bytes) + 95-byte slot = 99: a tag push needs 2.
    parts = _build(height=17, extranonce1_size=0, extranonce2_size=95, pool_tag=b"tag")
    script = _script_sig(parts, b"", bytes(95))
    assert len(script) == 99


@given(
    st.integers(min_value=0, max_value=2**31 - 1),
    st.integers(min_value=0, max_value=16),
    st.integers(min_value=1, max_value=16),
    st.binary(max_size=150),
)
def test_script_sig_always_within_consensus_limits(
    height: int, en1_size: int, en2_size: int, tag: bytes
) -> None:
    parts = _build(
        height=height, extranonce1_size=en1_size, extranonce2_size=en2_size, pool_tag=tag
    )
    script = _script_sig(parts, bytes(en1_size), bytes(en2_size))
    assert 2 <= len(script) <= 100
    assert script.startswith(bip34_height_script(height))
    head = parts.coinb1[42:]  # version, input count, null prevout, script length: 42 bytes
    fixed = len(head) + en1_size + en2_size
    tail = script[fixed:]
    assert tail == (push_data(tag[: len(tail) - 1]) if tail else b"")
    if tag and fixed <= 98:
        assert tail, "the tag is only dropped when fewer than 2 bytes are left"
    if tag:
        assert tail == push_data(tag) or len(script) >= 99


def test_height_and_extranonce_over_100_bytes_is_an_error() -> None:
    with pytest.raises(CoinbaseError, match="consensus allows 100"):
        _build(extranonce1_size=50, extranonce2_size=50)


def test_aux_script_counts_against_the_limit() -> None:
    with pytest.raises(CoinbaseError, match="aux script"):
        _build(aux_script=bytes(90))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"outputs": []}, "at least one payout"),
        ({"outputs": [CoinbaseOutput(0, P2WPKH)]}, "outside 1.."),
        ({"outputs": [CoinbaseOutput(-5, P2WPKH)]}, "outside 1.."),
        ({"outputs": [CoinbaseOutput(21_000_001 * 10**8, P2WPKH)]}, "outside 1.."),
        ({"witness_commitment": b"\x6a\x24" + bytes(36)}, "not a witness commitment"),
        ({"witness_commitment": COMMITMENT[:37]}, "not a witness commitment"),
        ({"extranonce2_size": 0}, "extranonce"),
        ({"extranonce1_size": -1}, "extranonce"),
        ({"height": -1}, "negative"),
    ],
)
def test_invalid_requests(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _build(**changes)


def test_assemble_checks_extranonce_sizes() -> None:
    parts = _build()
    with pytest.raises(CoinbaseError, match="expected 4\\+4"):
        parts.assemble(EN1, EN2 + b"\x00")
    with pytest.raises(CoinbaseError):
        parts.assemble(EN1[:3], EN2)


def test_coinbase_error_is_a_value_error() -> None:
    assert issubclass(CoinbaseError, ValueError)
