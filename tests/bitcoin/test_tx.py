"""Transactions: both serializations, ids, weight, coinbase witness splicing."""

from __future__ import annotations

import pytest
from bitcoin.core import CTransaction
from hypothesis import given

from loka_stratum.bitcoin.block import Block
from loka_stratum.bitcoin.encoding import DecodeError
from loka_stratum.bitcoin.tx import OutPoint, Transaction, TxIn, TxOut, add_coinbase_witness
from tests.bitcoin.realblocks import BLOCK_100000, BLOCK_500044, BLOCK_551515, RealBlock
from tests.bitcoin.strategies import transactions

SEGWIT_COINBASE = Block.parse(BLOCK_500044.raw()).transactions[0]


def _input(witness: tuple[bytes, ...] = ()) -> TxIn:
    return TxIn(OutPoint(bytes(range(32)), 1), b"\x51", 0xFFFFFFFE, witness)


@given(transactions())
def test_round_trip_both_forms(tx: Transaction) -> None:
    assert Transaction.parse(tx.serialize()) == tx
    legacy = Transaction.parse(tx.serialize(include_witness=False))
    assert legacy.serialize() == tx.serialize(include_witness=False)
    assert not legacy.has_witness()


@given(transactions())
def test_bitcoinlib_agrees_on_bytes_and_ids(tx: Transaction) -> None:
    raw = tx.serialize()
    theirs = CTransaction.deserialize(raw)
    assert theirs.serialize() == raw
    assert theirs.GetTxid() == tx.txid()
    assert theirs.GetHash() == tx.wtxid()
    assert theirs.has_witness() == tx.has_witness()


@given(transactions(segwit=False))
def test_legacy_tx_ids_coincide(tx: Transaction) -> None:
    assert tx.txid() == tx.wtxid()
    assert tx.weight() == 4 * len(tx.serialize())
    assert tx.serialize() == tx.serialize(include_witness=False)


@given(transactions(segwit=True))
def test_segwit_weight_counts_witness_once(tx: Transaction) -> None:
    base = len(tx.serialize(include_witness=False))
    total = len(tx.serialize())
    assert tx.serialize()[4:6] == b"\x00\x01"
    assert tx.weight() == 3 * base + total
    assert tx.vsize() == -(-tx.weight() // 4)


@pytest.mark.parametrize("real", [BLOCK_500044, BLOCK_551515], ids=["500044", "551515"])
def test_real_segwit_coinbase_ids(real: RealBlock) -> None:
    # Single-transaction blocks: the coinbase txid is the merkle root.
    coinbase = Block.parse(real.raw()).transactions[0]
    assert coinbase.is_coinbase()
    assert coinbase.txid()[::-1].hex() == real.merkle_root_hex
    assert coinbase.wtxid()[::-1].hex() == real.coinbase_wtxid_hex


def test_real_legacy_transactions_round_trip() -> None:
    block = Block.parse(BLOCK_100000.raw())
    for tx in block.transactions:
        assert Transaction.parse(tx.serialize()) == tx
        assert not tx.has_witness()


def test_add_coinbase_witness_matches_full_serialization() -> None:
    legacy = SEGWIT_COINBASE.serialize(include_witness=False)
    assert add_coinbase_witness(legacy) == SEGWIT_COINBASE.serialize()


def test_add_coinbase_witness_with_a_custom_reserved_value() -> None:
    legacy = SEGWIT_COINBASE.serialize(include_witness=False)
    spliced = Transaction.parse(add_coinbase_witness(legacy, b"\x07" * 32))
    assert spliced.inputs[0].witness == (b"\x07" * 32,)
    assert spliced.txid() == SEGWIT_COINBASE.txid()


def test_add_coinbase_witness_rejects_bad_input() -> None:
    legacy = SEGWIT_COINBASE.serialize(include_witness=False)
    with pytest.raises(ValueError, match="32 bytes"):
        add_coinbase_witness(legacy, bytes(31))
    two_inputs = Transaction(1, (_input(), _input()), (TxOut(1, b""),), 0)
    with pytest.raises(ValueError, match="one input"):
        add_coinbase_witness(two_inputs.serialize())


def test_is_coinbase_needs_the_null_prevout() -> None:
    null = TxIn(OutPoint(bytes(32), 0xFFFFFFFF), b"\x01\x02", 0)
    assert Transaction(1, (null,), (TxOut(1, b""),), 0).is_coinbase()
    assert not Transaction(1, (_input(),), (TxOut(1, b""),), 0).is_coinbase()
    assert not Transaction(1, (null, null), (TxOut(1, b""),), 0).is_coinbase()


def test_every_truncation_is_a_decode_error() -> None:
    raw = SEGWIT_COINBASE.serialize()
    for end in range(len(raw)):
        with pytest.raises(DecodeError):
            Transaction.parse(raw[:end])


def test_trailing_bytes_are_rejected() -> None:
    with pytest.raises(DecodeError, match="trailing"):
        Transaction.parse(SEGWIT_COINBASE.serialize() + b"\x00")


def test_superfluous_witness_flag_is_rejected() -> None:
    tx = Transaction(2, (_input(),), (TxOut(5, b"\x51"),), 0)
    legacy = tx.serialize()
    flagged = legacy[:4] + b"\x00\x01" + legacy[4:-4] + b"\x00" + legacy[-4:]
    with pytest.raises(DecodeError, match="superfluous"):
        Transaction.parse(flagged)


def test_unknown_extended_flag_is_rejected() -> None:
    tx = Transaction(2, (_input(),), (TxOut(5, b"\x51"),), 0)
    legacy = tx.serialize()
    with pytest.raises(DecodeError, match="flag"):
        Transaction.parse(legacy[:4] + b"\x00\x02" + legacy[4:])
