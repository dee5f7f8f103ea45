"""Every verdict of EmbeddedChain.submit, each from a block broken in exactly one way."""

from __future__ import annotations

from dataclasses import replace

import pytest

from loka_stratum.bitcoin.block import Block
from loka_stratum.bitcoin.coinbase import MAX_MONEY
from loka_stratum.bitcoin.encoding import bip34_height_script
from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.bitcoin.network import COIN
from loka_stratum.bitcoin.tx import COINBASE_INDEX, NULL_TXID, OutPoint, Transaction, TxIn, TxOut
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.sources.embedded_chain import EmbeddedChain
from loka_stratum.sources.embedded_rules import MAX_FUTURE_BLOCK_TIME
from tests.sources.embedded_blocks import (
    NOW,
    PAYOUT,
    RESERVED,
    TAG,
    build,
    coinbase,
    commitment_for,
    mine,
    pool_block,
    solve,
    solve_header,
    spend,
    template_txs,
    unsolve,
)


@pytest.fixture
def chain() -> EmbeddedChain:
    chain = EmbeddedChain()
    mine(chain, 11)  # a full median-time-past window
    return chain


@pytest.fixture
def template(chain: EmbeddedChain) -> BlockTemplate:
    return chain.template(NOW + 100)


def verdict(chain: EmbeddedChain, raw: bytes) -> str | None:
    height = chain.best_height
    result = chain.submit(raw, NOW + 100)
    assert chain.best_height == height + (result.verdict is None)
    return result.verdict


def with_txs(template: BlockTemplate, txs: list[Transaction], value: int | None = None) -> Block:
    """A block of ``txs`` whose coinbase commits to them and claims ``value``."""
    value = template.coinbase_value if value is None else value
    cb = coinbase(template.height, value, commitment=commitment_for(txs))
    return build(template, txs=txs, cb=cb)


def test_the_unbroken_block_is_accepted(chain: EmbeddedChain, template: BlockTemplate) -> None:
    assert verdict(chain, solve(build(template))) is None


# -- decoding and duplicates ------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"\x00" * 79, b"\x01" * 200])
def test_undecodable_bytes_are_rejected(chain: EmbeddedChain, raw: bytes) -> None:
    assert verdict(chain, raw) == "rejected"


def test_truncated_or_padded_block_is_rejected(
    chain: EmbeddedChain, template: BlockTemplate
) -> None:
    raw = solve(build(template))
    assert verdict(chain, raw[:-1]) == "rejected"
    assert verdict(chain, raw + b"\x00") == "rejected"


def test_resubmitted_block_is_duplicate(chain: EmbeddedChain, template: BlockTemplate) -> None:
    raw = pool_block(template)
    assert verdict(chain, raw) is None
    result = chain.submit(raw, NOW + 100)
    assert (result.verdict, result.height) == ("duplicate", 12)


def test_invalidated_block_is_duplicate_invalid_and_its_child_bad_prevblk(
    chain: EmbeddedChain,
) -> None:
    dropped = chain.tip
    chain.invalidate_tip()
    raw = Block(dropped.header, (Transaction.parse(dropped.coinbase),)).serialize()
    assert verdict(chain, raw) == "duplicate-invalid"
    child = build(chain.template(NOW + 100), prev_hash=dropped.hash)
    assert verdict(chain, solve(child)) == "bad-prevblk"


# -- CheckBlock: context-free -----------------------------------------------------------


def test_high_hash(chain: EmbeddedChain, template: BlockTemplate) -> None:
    assert verdict(chain, unsolve(build(template))) == "high-hash"


def test_bits_easier_than_the_regtest_limit_are_high_hash(
    chain: EmbeddedChain, template: BlockTemplate
) -> None:
    assert verdict(chain, solve(build(template, bits=0x2100FFFF))) == "high-hash"


def test_block_without_transactions_is_bad_blk_length(
    chain: EmbeddedChain, template: BlockTemplate
) -> None:
    header = solve_header(build(template).header)
    assert verdict(chain, header.serialize() + b"\x00") == "bad-blk-length"


def test_oversized_block_is_bad_blk_length(chain: EmbeddedChain, template: BlockTemplate) -> None:
    huge = spend(1, outputs=[TxOut(1000, bytes(1_000_000))])
    assert verdict(chain, solve(with_txs(template, [huge]))) == "bad-blk-length"


def test_wrong_merkle_root(chain: EmbeddedChain, template: BlockTemplate) -> None:
    assert verdict(chain, solve(build(template, merkle_root=bytes(32)))) == "bad-txnmrklroot"


def test_repeated_last_transaction_keeps_the_root_but_is_bad_txns_duplicate(
    chain: EmbeddedChain, template: BlockTemplate
) -> None:
    txs = template_txs(template)  # 8 + coinbase: odd, so repeating the last keeps the root
    honest, mutated = build(template), with_txs(template, [*txs, txs[-1]])
    assert mutated.header.merkle_root == honest.header.merkle_root
    assert verdict(chain, solve(mutated)) == "bad-txns-duplicate"


def test_first_transaction_not_coinbase(chain: EmbeddedChain, template: BlockTemplate) -> None:
    txs = template_txs(template)
    block = build(template, txs=txs[1:], cb=txs[0])
    assert verdict(chain, solve(block)) == "bad-cb-missing"


def test_second_coinbase(chain: EmbeddedChain, template: BlockTemplate) -> None:
    second = coinbase(template.height, 1, commitment=None, script_sig=b"\x01\x02", witness=())
    block = with_txs(template, [second, *template_txs(template)])
    assert verdict(chain, solve(block)) == "bad-cb-multiple"


@pytest.mark.parametrize("script_sig", [b"\x5c", bip34_height_script(12) + TAG + bytes(100)])
def test_coinbase_script_size(
    chain: EmbeddedChain, template: BlockTemplate, script_sig: bytes
) -> None:
    txs = template_txs(template)
    value = template.coinbase_value
    cb = coinbase(template.height, value, commitment=commitment_for(txs), script_sig=script_sig)
    assert verdict(chain, solve(build(template, cb=cb))) == "bad-cb-length"


@pytest.mark.parametrize(
    ("tx", "reason"),
    [
        (spend(1, outputs=[]), "bad-txns-vout-empty"),
        (spend(1, outputs=[TxOut(-1, PAYOUT)]), "bad-txns-vout-negative"),
        (spend(1, outputs=[TxOut(MAX_MONEY + 1, PAYOUT)]), "bad-txns-vout-toolarge"),
        (
            spend(1, outputs=[TxOut(MAX_MONEY, PAYOUT), TxOut(1, PAYOUT)]),
            "bad-txns-txouttotal-toolarge",
        ),
        (
            spend(1, inputs=(TxIn(OutPoint(b"\x01" * 32, 0), b"", 0),) * 2),
            "bad-txns-inputs-duplicate",
        ),
        (
            spend(
                1,
                inputs=(
                    TxIn(OutPoint(b"\x01" * 32, 0), b"", 0),
                    TxIn(OutPoint(NULL_TXID, COINBASE_INDEX), b"", 0),
                ),
            ),
            "bad-txns-prevout-null",
        ),
    ],
)
def test_check_transaction(
    chain: EmbeddedChain, template: BlockTemplate, tx: Transaction, reason: str
) -> None:
    assert verdict(chain, solve(with_txs(template, [tx]))) == reason


# -- where the block connects -----------------------------------------------------------


def test_unknown_parent(chain: EmbeddedChain, template: BlockTemplate) -> None:
    block = build(template, prev_hash=sha256d(b"nowhere"))
    result = chain.submit(solve(block), NOW + 100)
    assert (result.verdict, result.height) == ("prev-blk-not-found", None)


def test_valid_block_on_an_older_parent_is_inconclusive_and_not_kept(
    chain: EmbeddedChain,
) -> None:
    parent = chain.block_hash_at(10)
    assert parent is not None
    stale = chain.template(NOW + 100)
    mine(chain, 1, now=NOW + 100)
    block = build(stale, cb=coinbase(11, 50 * COIN, commitment=commitment_for([])), txs=[])
    fork = solve(replace(block, header=replace(block.header, prev_hash=parent)))
    result = chain.submit(fork, NOW + 100)
    assert (result.verdict, result.height) == ("inconclusive", 11)
    assert not chain.contains(result.block_hash)
    assert chain.best_height == 12


def test_older_parent_still_gets_contextual_checks(chain: EmbeddedChain) -> None:
    parent = chain.block_hash_at(10)
    template = chain.template(NOW + 100)
    block = build(template, prev_hash=parent, txs=[])  # coinbase says height 12, parent wants 11
    assert verdict(chain, solve(block)) == "bad-cb-height"


# -- ContextualCheckBlockHeader ---------------------------------------------------------


def test_bits_other_than_configured(chain: EmbeddedChain, template: BlockTemplate) -> None:
    assert verdict(chain, solve(build(template, bits=0x2000FFFF))) == "bad-diffbits"


def test_time_at_median_time_past(chain: EmbeddedChain, template: BlockTemplate) -> None:
    mtp = chain.median_time_past()
    assert verdict(chain, solve(build(template, time=mtp))) == "time-too-old"
    assert verdict(chain, solve(build(template, time=mtp + 1))) is None


def test_time_too_far_ahead(chain: EmbeddedChain, template: BlockTemplate) -> None:
    limit = NOW + 100 + MAX_FUTURE_BLOCK_TIME
    assert verdict(chain, solve(build(template, time=limit + 1))) == "time-too-new"
    assert verdict(chain, solve(build(template, time=limit))) is None


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        (3, "bad-version(0x00000003)"),
        (1, "bad-version(0x00000001)"),
        (-1, "bad-version(0xffffffff)"),
    ],
)
def test_outdated_version(
    chain: EmbeddedChain, template: BlockTemplate, version: int, reason: str
) -> None:
    assert verdict(chain, solve(build(template, version=version))) == reason


def test_version_4_and_rolled_versions_are_fine(chain: EmbeddedChain) -> None:
    assert verdict(chain, solve(build(chain.template(NOW + 100), version=4))) is None
    rolled = build(chain.template(NOW + 100), version=0x3FFFE000)
    assert verdict(chain, solve(rolled)) is None


# -- ContextualCheckBlock ---------------------------------------------------------------


@pytest.mark.parametrize("locktime", [13, NOW + 10_000])
def test_non_final_transaction(
    chain: EmbeddedChain, template: BlockTemplate, locktime: int
) -> None:
    assert verdict(chain, solve(with_txs(template, [spend(1, locktime=locktime)]))) == (
        "bad-txns-nonfinal"
    )


def test_locktime_below_height_or_final_sequences_are_fine(
    chain: EmbeddedChain, template: BlockTemplate
) -> None:
    final_input = (TxIn(OutPoint(b"\x02" * 32, 0), b"\x51", 0xFFFFFFFF),)
    txs = [spend(1, locktime=11), spend(2, locktime=NOW * 2, inputs=final_input)]
    assert verdict(chain, solve(with_txs(template, txs, 50 * COIN))) is None


def test_coinbase_without_the_right_height(chain: EmbeddedChain, template: BlockTemplate) -> None:
    txs = template_txs(template)
    script = bip34_height_script(template.height + 1) + TAG
    value = template.coinbase_value
    cb = coinbase(template.height, value, commitment=commitment_for(txs), script_sig=script)
    assert verdict(chain, solve(build(template, cb=cb))) == "bad-cb-height"


@pytest.mark.parametrize("witness", [(), (bytes(31),), (bytes(33),), (bytes(32), bytes(32))])
def test_witness_reserved_value_must_be_one_32_byte_item(
    chain: EmbeddedChain, template: BlockTemplate, witness: tuple[bytes, ...]
) -> None:
    txs = template_txs(template)
    value = template.coinbase_value
    cb = coinbase(template.height, value, commitment=commitment_for(txs), witness=witness)
    assert verdict(chain, solve(build(template, cb=cb))) == "bad-witness-nonce-size"


def test_commitment_to_other_transactions(chain: EmbeddedChain, template: BlockTemplate) -> None:
    txs = template_txs(template)
    value = template.coinbase_value
    cb = coinbase(template.height, value, commitment=commitment_for(txs[:-1]))
    assert verdict(chain, solve(build(template, cb=cb))) == "bad-witness-merkle-match"


def test_witness_without_commitment(chain: EmbeddedChain, template: BlockTemplate) -> None:
    cb = coinbase(template.height, template.coinbase_value, commitment=None, witness=())
    assert verdict(chain, solve(build(template, cb=cb))) == "unexpected-witness"
    legacy = [tx for tx in template_txs(template) if not tx.has_witness()]
    cb = coinbase(template.height, 50 * COIN, commitment=None, witness=RESERVED)
    assert verdict(chain, solve(build(template, cb=cb, txs=legacy))) == "unexpected-witness"


def test_legacy_block_without_any_witness_is_fine(
    chain: EmbeddedChain, template: BlockTemplate
) -> None:
    legacy = [tx for tx in template_txs(template) if not tx.has_witness()]
    cb = coinbase(template.height, 50 * COIN, commitment=None, witness=())
    assert verdict(chain, solve(build(template, cb=cb, txs=legacy))) is None


def test_heavy_witness_is_bad_blk_weight(chain: EmbeddedChain, template: BlockTemplate) -> None:
    heavy = spend(1, inputs=(TxIn(OutPoint(b"\x01" * 32, 0), b"", 0, (bytes(4_000_000),)),))
    assert verdict(chain, solve(with_txs(template, [heavy], 50 * COIN))) == "bad-blk-weight"


# -- ConnectBlock -----------------------------------------------------------------------


def test_coinbase_claims_more_than_subsidy_and_fees(
    chain: EmbeddedChain, template: BlockTemplate
) -> None:
    greedy = with_txs(template, template_txs(template), template.coinbase_value + 1)
    assert verdict(chain, solve(greedy)) == "bad-cb-amount"


def test_fees_of_transactions_we_did_not_issue_count_as_zero(
    chain: EmbeddedChain, template: BlockTemplate
) -> None:
    foreign = [spend(7)]
    assert verdict(chain, solve(with_txs(template, foreign, 50 * COIN + 1))) == "bad-cb-amount"
    assert verdict(chain, solve(with_txs(template, foreign, 50 * COIN))) is None


def test_fees_of_a_refreshed_away_template_still_count(chain: EmbeddedChain) -> None:
    older = chain.template(NOW + 100)
    chain.template(NOW + 100)
    assert verdict(chain, pool_block(older)) is None


def test_two_transactions_spending_one_outpoint(
    chain: EmbeddedChain, template: BlockTemplate
) -> None:
    twice = [spend(1), spend(1, version=1)]
    assert verdict(chain, solve(with_txs(template, twice, 50 * COIN))) == (
        "bad-txns-inputs-missingorspent"
    )


# -- order: the first failing check is the verdict, as in Core ---------------------------


def test_proof_of_work_is_checked_before_everything_else(
    chain: EmbeddedChain, template: BlockTemplate
) -> None:
    broken = build(template, prev_hash=bytes(32), merkle_root=bytes(32), version=1)
    assert verdict(chain, unsolve(broken)) == "high-hash"


def test_context_free_checks_come_before_the_parent_lookup(
    chain: EmbeddedChain, template: BlockTemplate
) -> None:
    assert verdict(chain, solve(build(template, prev_hash=bytes(32), merkle_root=bytes(32)))) == (
        "bad-txnmrklroot"
    )


def test_header_context_comes_before_block_context(
    chain: EmbeddedChain, template: BlockTemplate
) -> None:
    txs = template_txs(template)
    cb = coinbase(template.height, template.coinbase_value + 1, commitment=None, witness=())
    block = build(template, cb=cb, txs=txs, time=chain.median_time_past())
    assert verdict(chain, solve(block)) == "time-too-old"
