"""Blocks for submit tests, built the way the pool builds them: JobFactory + ShareValidator."""

from __future__ import annotations

from dataclasses import replace

from loka_stratum.bitcoin.coinbase import CoinbaseOutput
from loka_stratum.bitcoin.header import BlockHeader
from loka_stratum.bitcoin.target import bits_to_target, hash_to_int
from loka_stratum.mining.job import JobFactory
from loka_stratum.mining.jobbook import JobBook
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.mining.validator import ShareValidator, Submission
from loka_stratum.mining.work import MinerWork, ShareTarget

PAYOUT = bytes.fromhex("0014") + bytes(range(20, 40))
EXTRANONCE1 = bytes.fromhex("c0ffee01")


def pool_block(template: BlockTemplate, *, value: int | None = None) -> bytes:
    """A block a miner found on the pool's job for `template` (paying `value`, default all)."""
    factory = JobFactory(extranonce1_size=4, extranonce2_size=4, pool_tag=b"/loka-test/")
    outputs = [CoinbaseOutput(template.coinbase_value if value is None else value, PAYOUT)]
    parts = factory.build_coinbase(template, outputs)
    job = factory.job_from_parts(template, parts, clean_jobs=True)
    book = JobBook()
    book.add(job)
    validator = ShareValidator(book)
    work = MinerWork(EXTRANONCE1, 4, ShareTarget.for_difficulty(1e-9))
    for nonce in range(100_000):
        share = Submission(job.job_id, "00000000", f"{job.ntime:08x}", f"{nonce:08x}")
        result = validator.validate(share, work, float(job.ntime))
        if result.block is not None:
            return result.block
    raise AssertionError("no block found at this target")


def with_header(block: bytes, header: BlockHeader) -> bytes:
    return header.serialize() + block[80:]


def failing_pow(block: bytes) -> bytes:
    """The same block with a nonce whose hash misses the target."""
    header = BlockHeader.parse(block[:80])
    target = bits_to_target(header.bits)
    for nonce in range(100_000):
        candidate = replace(header, nonce=nonce)
        if hash_to_int(candidate.hash()) > target:
            return with_header(block, candidate)
    raise AssertionError("every nonce meets the target")
