"""Blocks for embedded-chain tests: mined the pool's way, or hand-built to break one rule.

`pool_block` goes through the real pool path (JobFactory, JobBook,
ShareValidator), so an accepted block proves the templates work for the pool.
`build` + `solve` assemble a block from parts, so each test can change
exactly one thing (a value, a script, a header field) and still meet the
proof of work, unless the test is about the proof of work (`unsolve`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from loka_stratum.bitcoin.block import Block, witness_commitment_hash, witness_commitment_script
from loka_stratum.bitcoin.coinbase import CoinbaseOutput
from loka_stratum.bitcoin.encoding import bip34_height_script
from loka_stratum.bitcoin.header import BlockHeader
from loka_stratum.bitcoin.merkle import merkle_root
from loka_stratum.bitcoin.target import bits_to_target, hash_to_int
from loka_stratum.bitcoin.tx import COINBASE_INDEX, NULL_TXID, OutPoint, Transaction, TxIn, TxOut
from loka_stratum.mining.job import JobFactory
from loka_stratum.mining.jobbook import JobBook
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.mining.validator import ShareValidator, Submission
from loka_stratum.mining.work import MinerWork, ShareTarget
from loka_stratum.sources.embedded_chain import EmbeddedChain

PAYOUT = bytes.fromhex("0014") + bytes(range(20))
TAG = b"/loka-test/"
RESERVED = (bytes(32),)
NOW = 1_700_000_000


def pool_block(template: BlockTemplate) -> bytes:
    """A block found on the pool's own job for ``template`` (regtest bits: a nonce or two)."""
    factory = JobFactory(extranonce1_size=4, extranonce2_size=4, pool_tag=TAG)
    parts = factory.build_coinbase(template, [CoinbaseOutput(template.coinbase_value, PAYOUT)])
    job = factory.job_from_parts(template, parts, clean_jobs=True)
    book = JobBook()
    book.add(job)
    validator = ShareValidator(book)
    work = MinerWork(bytes.fromhex("c0ffee01"), 4, ShareTarget.for_difficulty(1e-9))
    for nonce in range(100_000):
        share = Submission(job.job_id, "00000000", f"{job.ntime:08x}", f"{nonce:08x}")
        result = validator.validate(share, work, float(job.ntime))
        if result.block is not None:
            return result.block
    raise AssertionError("no block found at this target")


def mine(chain: EmbeddedChain, count: int = 1, *, now: int = NOW) -> list[bytes]:
    """Mine and connect ``count`` blocks, one second apart; returns their hashes."""
    hashes = []
    for _ in range(count):
        now += 1
        result = chain.submit(pool_block(chain.template(now)), now)
        assert result.accepted, result.verdict
        hashes.append(result.block_hash)
    return hashes


def template_txs(template: BlockTemplate) -> list[Transaction]:
    return [Transaction.parse(tx.data) for tx in template.transactions]


def commitment_for(txs: Sequence[Transaction]) -> bytes:
    root = merkle_root([bytes(32), *(tx.wtxid() for tx in txs)])
    return witness_commitment_script(witness_commitment_hash(root))


def coinbase(
    height: int,
    value: int,
    *,
    commitment: bytes | None,
    script_sig: bytes | None = None,
    witness: tuple[bytes, ...] = RESERVED,
) -> Transaction:
    script = bip34_height_script(height) + TAG if script_sig is None else script_sig
    outputs = [TxOut(value, PAYOUT)] + ([TxOut(0, commitment)] if commitment else [])
    tx_in = TxIn(OutPoint(NULL_TXID, COINBASE_INDEX), script, 0xFFFFFFFF, witness)
    return Transaction(1, (tx_in,), tuple(outputs), 0)


def spend(
    seed: int, *, outputs: Sequence[TxOut] = (TxOut(1000, PAYOUT),), **tx: Any
) -> Transaction:
    """A legacy transaction spending a made-up outpoint; ``tx`` overrides Transaction fields."""
    tx_in = TxIn(OutPoint(bytes([seed]) * 32, 0), b"\x51", 0xFFFFFFFD)
    return replace(Transaction(2, (tx_in,), tuple(outputs), 0), **tx)


def build(
    template: BlockTemplate,
    *,
    txs: Sequence[Transaction] | None = None,
    cb: Transaction | None = None,
    **header: Any,
) -> Block:
    """The template's block (its txs, a coinbase paying it all); ``header`` overrides fields."""
    txs = template_txs(template) if txs is None else list(txs)
    if cb is None:
        cb = coinbase(template.height, template.coinbase_value, commitment=commitment_for(txs))
    root = merkle_root([tx.txid() for tx in (cb, *txs)])
    draft = BlockHeader(
        template.version, template.prev_hash, root, template.curtime, template.bits, 0
    )
    return Block(replace(draft, **header), (cb, *txs))


def solve(block: Block) -> bytes:
    """The block with the first nonce that meets its own bits."""
    return replace(block, header=solve_header(block.header)).serialize()


def unsolve(block: Block) -> bytes:
    """The block with the first nonce that misses its own bits."""
    return replace(block, header=unsolve_header(block.header)).serialize()


def solve_header(header: BlockHeader) -> BlockHeader:
    return _grind(header, lambda value, target: value <= target)


def unsolve_header(header: BlockHeader) -> BlockHeader:
    return _grind(header, lambda value, target: value > target)


def _grind(header: BlockHeader, accept: Callable[[int, int], bool]) -> BlockHeader:
    target = bits_to_target(header.bits)
    for nonce in range(1_000_000):
        candidate = replace(header, nonce=nonce)
        if accept(hash_to_int(candidate.hash()), target):
            return candidate
    raise AssertionError("no nonce found")
