"""Known-answer tests on real mainnet blocks: parse, recompute, re-serialize, PoW."""

from __future__ import annotations

import pytest

from loka_stratum.bitcoin.block import Block, witness_commitment_hash
from loka_stratum.bitcoin.merkle import merkle_root
from loka_stratum.bitcoin.target import bits_to_target, hash_to_int
from tests.bitcoin.bitcoinlib_check import check_block_bytes
from tests.bitcoin.realblocks import (
    BIP34_MAINNET_HEIGHT,
    BLOCK_100000,
    BLOCK_100000_TXIDS,
    BLOCK_500044,
    REAL_BLOCKS,
    RealBlock,
)

SEGWIT_BLOCKS = [real for real in REAL_BLOCKS if real.segwit]
LEGACY_BLOCKS = [real for real in REAL_BLOCKS if not real.segwit]


def _height_id(real: RealBlock) -> str:
    return str(real.height)


by_height = pytest.mark.parametrize("real", REAL_BLOCKS, ids=_height_id)


@by_height
def test_parses_and_reserializes_byte_identical(real: RealBlock) -> None:
    raw = real.raw()
    block = Block.parse(raw)
    assert len(block.transactions) == real.tx_count
    assert block.serialize() == raw
    assert len(raw) == real.size


@by_height
def test_header_hash_is_the_real_hash(real: RealBlock) -> None:
    block = Block.parse(real.raw())
    assert block.header.hash_hex() == real.hash_hex
    assert block.header.bits == real.bits


@by_height
def test_merkle_root_recomputes(real: RealBlock) -> None:
    block = Block.parse(real.raw())
    assert block.compute_merkle_root() == block.header.merkle_root
    assert block.header.merkle_root[::-1].hex() == real.merkle_root_hex


@by_height
def test_proof_of_work_meets_nbits(real: RealBlock) -> None:
    block = Block.parse(real.raw())
    assert hash_to_int(block.header.hash()) <= bits_to_target(block.header.bits)


@by_height
def test_sizes_and_weight_match_bitcoind(real: RealBlock) -> None:
    block = Block.parse(real.raw())
    stripped = sum(len(tx.serialize(include_witness=False)) for tx in block.transactions)
    assert 80 + 1 + stripped == real.stripped_size
    assert block.weight() == real.weight


@by_height
def test_bitcoinlib_accepts_the_real_block(real: RealBlock) -> None:
    height = real.height if real.height >= BIP34_MAINNET_HEIGHT else None
    check_block_bytes(real.raw(), expect_height=height, expect_segwit=real.segwit)


def test_block_100000_txids_are_the_known_ones() -> None:
    block = Block.parse(BLOCK_100000.raw())
    assert tuple(tx.txid()[::-1].hex() for tx in block.transactions) == BLOCK_100000_TXIDS
    assert block.transactions[0].is_coinbase()
    assert not any(tx.is_coinbase() for tx in block.transactions[1:])
    assert merkle_root([bytes.fromhex(t)[::-1] for t in BLOCK_100000_TXIDS]) == (
        block.header.merkle_root
    )


@pytest.mark.parametrize("real", SEGWIT_BLOCKS, ids=_height_id)
def test_segwit_block_witness_root_and_commitment(real: RealBlock) -> None:
    block = Block.parse(real.raw())
    coinbase = block.transactions[0]
    assert coinbase.has_witness()
    assert coinbase.wtxid()[::-1].hex() == real.coinbase_wtxid_hex
    reserved = coinbase.inputs[0].witness[0]
    assert reserved == bytes(32)
    expected = witness_commitment_hash(block.compute_witness_root(), reserved)
    assert block.witness_commitment() == expected


@pytest.mark.parametrize("real", LEGACY_BLOCKS, ids=_height_id)
def test_pre_segwit_blocks_have_no_commitment(real: RealBlock) -> None:
    block = Block.parse(real.raw())
    assert block.witness_commitment() is None
    assert not any(tx.has_witness() for tx in block.transactions)


def test_segwit_coinbase_sizes_match_bitcoind() -> None:
    coinbase = Block.parse(BLOCK_500044.raw()).transactions[0]
    assert len(coinbase.serialize()) == 204
    assert coinbase.vsize() == 177
    assert coinbase.weight() == 708
