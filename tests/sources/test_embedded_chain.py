"""EmbeddedChain: genesis, templates, mining through the pool path, lookups, reorgs, difficulty."""

from __future__ import annotations

import math

import pytest
from bitcoin.core import CTransaction
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.bitcoin.network import COIN, REGTEST
from loka_stratum.bitcoin.target import bits_to_difficulty, bits_to_target, difficulty_to_target
from loka_stratum.bitcoin.tx import Transaction
from loka_stratum.sources.embedded_chain import (
    POW_LIMIT,
    TEMPLATE_VERSION,
    EmbeddedChain,
    bits_for_difficulty,
    difficulty_for_interval,
)
from tests.bitcoin.bitcoinlib_check import check_block_bytes
from tests.sources.embedded_blocks import NOW, mine, pool_block

REGTEST_GENESIS = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
GENESIS_TIME = 1296688602


@pytest.fixture
def chain() -> EmbeddedChain:
    return EmbeddedChain()


def test_starts_at_the_real_regtest_genesis(chain: EmbeddedChain) -> None:
    assert chain.best_height == 0
    assert chain.tip.hash[::-1].hex() == REGTEST_GENESIS == REGTEST.genesis_hash_hex
    assert chain.tip.time == GENESIS_TIME
    parsed = check_block_bytes(REGTEST.genesis_block, expect_height=None, expect_segwit=False)
    assert parsed.GetHash() == chain.tip.hash
    assert chain.network is REGTEST


def test_first_template_builds_on_genesis(chain: EmbeddedChain) -> None:
    template = chain.template(NOW)
    assert template.height == 1
    assert template.prev_hash == chain.tip.hash
    assert template.version == TEMPLATE_VERSION
    assert template.bits == REGTEST.pow_limit_bits
    assert template.mintime == GENESIS_TIME + 1
    assert template.curtime == NOW
    fees = sum(tx.fee for tx in template.transactions)
    assert fees > 0
    assert template.coinbase_value == 50 * COIN + fees
    assert len(template.transactions) == 8


def test_filler_is_half_segwit_and_described_truthfully(chain: EmbeddedChain) -> None:
    template = chain.template(NOW)
    txs = [Transaction.parse(tx.data) for tx in template.transactions]
    assert [tx.has_witness() for tx in txs] == [True, False] * 4
    for entry, tx in zip(template.transactions, txs, strict=True):
        assert entry.txid == tx.txid()
        assert entry.weight == tx.weight()
        independent = CTransaction.deserialize(entry.data)
        assert independent.GetTxid() == entry.txid
        assert independent.serialize() == entry.data


def test_pool_block_passes_an_independent_check_and_is_accepted(chain: EmbeddedChain) -> None:
    template = chain.template(NOW)
    block = pool_block(template)
    check_block_bytes(block, expect_height=1, expect_segwit=True)
    result = chain.submit(block, NOW)
    assert result.accepted
    assert result.height == 1
    assert chain.tip.hash == result.block_hash
    assert chain.tip.coinbase == Transaction.parse(chain.tip.coinbase).serialize()


def test_template_without_filler_still_commits_to_witnesses() -> None:
    chain = EmbeddedChain(filler_transactions=0)
    template = chain.template(NOW)
    assert template.transactions == ()
    assert template.witness_commitment is not None
    assert template.coinbase_value == 50 * COIN
    block = pool_block(template)
    check_block_bytes(block, expect_height=1, expect_segwit=True)
    assert chain.submit(block, NOW).accepted


def test_every_template_gets_fresh_filler(chain: EmbeddedChain) -> None:
    first, second = chain.template(NOW), chain.template(NOW)
    assert first.prev_hash == second.prev_hash
    assert not set(first.txids) & set(second.txids)
    assert first.witness_commitment != second.witness_commitment


def test_filler_is_deterministic() -> None:
    assert EmbeddedChain().template(NOW) == EmbeddedChain().template(NOW)


def test_curtime_never_precedes_mintime(chain: EmbeddedChain) -> None:
    template = chain.template(0)
    assert template.curtime == template.mintime == GENESIS_TIME + 1


def test_mintime_follows_the_median_of_the_last_eleven_blocks(chain: EmbeddedChain) -> None:
    mine(chain, 12, now=NOW)  # block times NOW+1 .. NOW+12
    assert chain.median_time_past() == NOW + 7
    assert chain.template(NOW).mintime == NOW + 8


def test_mining_extends_the_tip_and_the_subsidy_halves_at_150(chain: EmbeddedChain) -> None:
    hashes = mine(chain, 150)
    assert chain.best_height == 150
    assert chain.tip.hash == hashes[-1]
    template = chain.template(NOW + 200)
    fees = sum(tx.fee for tx in template.transactions)
    assert template.height == 151
    assert template.coinbase_value == 25 * COIN + fees
    block = pool_block(template)
    check_block_bytes(block, expect_height=151, expect_segwit=True)
    assert chain.submit(block, NOW + 200).accepted


def test_lookups_by_height_and_hash(chain: EmbeddedChain) -> None:
    hashes = mine(chain, 3)
    assert [chain.block_hash_at(h) for h in (1, 2, 3)] == hashes
    assert chain.block_hash_at(0) == bytes.fromhex(REGTEST_GENESIS)[::-1]
    assert chain.block_hash_at(4) is None
    assert chain.block_hash_at(-1) is None
    assert [chain.height_of(h) for h in hashes] == [1, 2, 3]
    assert [chain.confirmations(h) for h in hashes] == [3, 2, 1]
    assert chain.contains(hashes[0])
    unknown = bytes(32)
    assert not chain.contains(unknown)
    assert chain.height_of(unknown) is None
    assert chain.confirmations(unknown) == 0
    entry = chain.entry(hashes[1])
    assert entry is not None
    assert entry.height == 2
    assert entry.hash == hashes[1]
    assert chain.entry(unknown) is None


def test_invalidate_tip_simulates_a_one_block_reorg(chain: EmbeddedChain) -> None:
    first, second = mine(chain, 2)
    dropped = chain.invalidate_tip()
    assert dropped.hash == second
    assert chain.best_height == 1
    assert chain.confirmations(second) == 0
    assert chain.confirmations(first) == 1
    replacement = chain.submit(pool_block(chain.template(NOW + 10)), NOW + 10)
    assert replacement.accepted
    assert replacement.height == 2
    assert replacement.block_hash != second


def test_genesis_cannot_be_invalidated(chain: EmbeddedChain) -> None:
    with pytest.raises(ValueError, match="genesis"):
        chain.invalidate_tip()


def test_configured_bits_go_into_templates() -> None:
    bits = bits_for_difficulty(0.001)
    assert EmbeddedChain(bits=bits).template(NOW).bits == bits


@pytest.mark.parametrize("bits", [0x2100FFFF, 0x20800000, 0x04923456, 0x03000000, 0x1_0000_0000])
def test_bits_outside_regtest_limits_are_refused(bits: int) -> None:
    with pytest.raises(ValueError, match="bits"):
        EmbeddedChain(bits=bits)


def test_negative_filler_count_is_refused() -> None:
    with pytest.raises(ValueError, match="filler"):
        EmbeddedChain(filler_transactions=-1)


def test_tiny_difficulty_is_clamped_to_the_regtest_limit() -> None:
    assert bits_for_difficulty(1e-12) == REGTEST.pow_limit_bits
    assert bits_to_target(bits_for_difficulty(1e-12)) == POW_LIMIT


@given(st.floats(min_value=1e-9, max_value=1e12))
def test_bits_for_difficulty_is_never_easier_than_asked(difficulty: float) -> None:
    bits = bits_for_difficulty(difficulty)
    assert bits_to_target(bits) <= min(difficulty_to_target(difficulty), POW_LIMIT)
    if bits != REGTEST.pow_limit_bits:
        assert math.isclose(bits_to_difficulty(bits), difficulty, rel_tol=2**-15)


def test_difficulty_for_interval() -> None:
    # One block a minute for a 1 MH/s miner: 6e7 hashes at 2**32 hashes per difficulty.
    assert difficulty_for_interval(1_000_000.0, 60.0) == pytest.approx(0.0139698386)
    assert difficulty_for_interval(2**32, 1.0) == 1.0


@pytest.mark.parametrize(
    ("hashrate", "interval"), [(0.0, 60.0), (1e5, 0.0), (-1.0, 60.0), (math.inf, 1.0)]
)
def test_difficulty_for_interval_refuses_nonsense(hashrate: float, interval: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        difficulty_for_interval(hashrate, interval)
