"""submit_block end to end: pool-built blocks checked by the fake node's consensus rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from structlog.testing import capture_logs

from loka_stratum.bitcoin.block import witness_commitment_hash, witness_commitment_script
from loka_stratum.bitcoin.header import BlockHeader
from loka_stratum.bitcoin.merkle import merkle_root
from loka_stratum.bitcoin.tx import Transaction
from loka_stratum.mining.template import BlockTemplate, TemplateTransaction
from loka_stratum.sources.base import TemplateUpdate
from loka_stratum.sources.bitcoind import BitcoindSource
from loka_stratum.sources.submitblock import SubmitPolicy
from tests.bitcoin.bitcoinlib_check import check_block_bytes
from tests.fakes.bitcoind import RPC_PASSWORD, FakeBitcoind
from tests.fakes.bitcoind_chain import FakeChain, solve
from tests.sources.blocks import failing_pow, pool_block, with_header
from tests.sources.conftest import SourceFactory
from tests.sources.helpers import next_update

# Polling every minute: a template that follows a submission proves the submit trigger.
QUIET = {"poll_interval": 60.0}


def fill_mempool(node: FakeBitcoind) -> None:
    for index in range(4):
        node.chain.add_transaction(segwit=index % 2 == 0, fee=1000 + index)


async def first_template(source: BitcoindSource) -> TemplateUpdate:
    return await next_update(source.templates())


async def test_pool_block_is_accepted_and_the_next_template_follows_at_once(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    fill_mempool(node)
    async with started(node, **QUIET) as source:
        updates = source.templates()
        template = (await next_update(updates)).template
        block = pool_block(template)
        check_block_bytes(block, expect_height=template.height, expect_segwit=True)
        with capture_logs() as logs:
            result = await source.submit_block(block)
        following = await next_update(updates)
        stats = source.stats()
    assert result.accepted and result.verdict is None
    assert result.block_hash == BlockHeader.parse(block[:80]).hash() == node.chain.tip
    assert result.height == template.height == node.chain.height
    assert node.chain.mempool == {}
    assert following.new_block and following.template.prev_hash == result.block_hash
    assert following.template.transactions == ()
    assert stats.verdicts == {"accepted": 1}
    assert stats.new_tips == {"start": 1, "submit": 1}
    [submitted] = [entry for entry in logs if entry["event"] == "block_submitted"]
    assert submitted["hash"] == result.block_hash[::-1].hex()
    assert (submitted["verdict"], submitted["attempts"]) == ("accepted", 1)


def _foreign_transaction(template: BlockTemplate) -> BlockTemplate:
    """`template` plus a transaction the node never saw, with a correct commitment."""
    tx = FakeChain(seed=99).add_transaction(segwit=False)
    txs = (*template.transactions, TemplateTransaction(tx.serialize(), tx.txid(), 0, 0))
    wtxids = [bytes(32), *(Transaction.parse(t.data).wtxid() for t in txs)]
    commitment = witness_commitment_script(witness_commitment_hash(merkle_root(wtxids)))
    return replace(template, transactions=txs, witness_commitment=commitment)


def _bad_merkle_root(template: BlockTemplate) -> bytes:
    block = pool_block(template)
    header = BlockHeader.parse(block[:80])
    return with_header(block, solve(replace(header, merkle_root=bytes(32))))


BadBlock = Callable[[BlockTemplate], bytes]
BAD_BLOCKS: list[tuple[str, BadBlock]] = [
    ("high-hash", lambda t: failing_pow(pool_block(t))),
    ("bad-txnmrklroot", _bad_merkle_root),
    ("prev-blk-not-found", lambda t: pool_block(replace(t, prev_hash=bytes(range(32))))),
    ("bad-diffbits", lambda t: pool_block(replace(t, bits=0x207FFFFE))),
    ("time-too-old", lambda t: pool_block(replace(t, curtime=t.mintime - 1, mintime=0))),
    ("bad-cb-height", lambda t: pool_block(replace(t, height=t.height + 1))),
    (
        "bad-witness-merkle-match",
        lambda t: pool_block(replace(t, witness_commitment=witness_commitment_script(bytes(32)))),
    ),
    ("bad-txns-inputs-missingorspent", lambda t: pool_block(_foreign_transaction(t))),
    ("bad-cb-amount", lambda t: pool_block(t, value=t.coinbase_value + 1)),
]


@pytest.mark.parametrize(("verdict", "build"), BAD_BLOCKS, ids=[v for v, _ in BAD_BLOCKS])
async def test_invalid_blocks_get_the_nodes_reason(
    node: FakeBitcoind, started: SourceFactory, verdict: str, build: BadBlock
) -> None:
    fill_mempool(node)
    tip = node.chain.tip
    async with started(node, **QUIET) as source:
        result = await source.submit_block(build((await first_template(source)).template))
        stats = source.stats()
    assert not result.accepted
    assert result.verdict == verdict
    assert stats.verdicts == {verdict: 1}
    assert node.chain.tip == tip


async def test_resubmission_is_duplicate_and_a_stale_block_inconclusive(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node, **QUIET) as source:
        template = (await first_template(source)).template
        block = pool_block(template)
        assert (await source.submit_block(block)).accepted
        assert (await source.submit_block(block)).verdict == "duplicate"
        await node.mine_block()
        stale = pool_block(template, value=template.coinbase_value - 1)
        assert (await source.submit_block(stale)).verdict == "inconclusive"
        stats = source.stats()
    assert stats.verdicts == {"accepted": 1, "duplicate": 1, "inconclusive": 1}


@pytest.mark.parametrize(
    "forced", ["inconclusive", "duplicate-inconclusive", "duplicate-invalid", "rejected"]
)
async def test_scripted_node_verdicts_pass_through(
    node: FakeBitcoind, started: SourceFactory, forced: str
) -> None:
    async with started(node, **QUIET) as source:
        block = pool_block((await first_template(source)).template)
        node.force_verdict(forced)
        result = await source.submit_block(block)
    assert result.verdict == forced
    assert node.count("submitblock") == 1


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (bytes(80) + b"\x01", "Block decode failed"),
        (bytes(81), "Block does not start with a coinbase"),
    ],
)
async def test_undecodable_block_is_an_rpc_error_and_not_retried(
    node: FakeBitcoind, started: SourceFactory, block: bytes, message: str
) -> None:
    async with started(node, **QUIET) as source:
        result = await source.submit_block(block)
        stats = source.stats()
    assert result.verdict == f"rpc-error: -22: {message}"
    assert node.count("submitblock") == 1
    assert stats.verdicts == {"rpc-error": 1}


async def test_connection_errors_are_retried_until_the_node_answers(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node, **QUIET) as source:
        block = pool_block((await first_template(source)).template)
        node.http.raw_replies += [(503, b"Work queue depth exceeded")] * 2
        with capture_logs() as logs:
            result = await source.submit_block(block)
    assert result.accepted
    assert [entry["attempt"] for entry in logs if entry["event"] == "block_submit_retry"] == [1, 2]
    assert [entry["attempts"] for entry in logs if entry["event"] == "block_submitted"] == [3]
    assert RPC_PASSWORD not in repr(logs)


async def test_duplicate_after_a_lost_reply_counts_as_accepted(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node, **QUIET) as source:
        block = pool_block((await first_template(source)).template)
        assert node.chain.submit(block) is None  # the first attempt landed...
        node.http.raw_replies.append((502, b"Bad Gateway"))  # ...but its answer was lost
        result = await source.submit_block(block)
    assert result.accepted


async def test_timed_out_submission_is_retried(node: FakeBitcoind, started: SourceFactory) -> None:
    async with started(
        node, submit_policy=SubmitPolicy(retry_delay=0.01, timeout=0.1), **QUIET
    ) as source:
        block = pool_block((await first_template(source)).template)
        node.http.hold = 1
        result = await source.submit_block(block)
        node.http.release()
    assert result.accepted
    assert node.chain.tip == result.block_hash


async def test_unreachable_node_gives_up_after_the_configured_attempts(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(
        node, submit_policy=SubmitPolicy(attempts=3, retry_delay=0.01), **QUIET
    ) as source:
        block = pool_block((await first_template(source)).template)
        await node.go_away()
        with capture_logs() as logs:
            result = await source.submit_block(block)
        stats = source.stats()
    assert result.verdict is not None and result.verdict.startswith("rpc-error: ")
    assert "submitblock" in result.verdict
    assert [entry["attempts"] for entry in logs if entry["event"] == "block_submitted"] == [3]
    assert stats.verdicts == {"rpc-error": 1}
