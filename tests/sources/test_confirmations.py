"""`WorkSource.confirmations` for block maturity: depth, not in the best chain, no answer."""

from __future__ import annotations

from loka_stratum.sources.base import NOT_IN_BEST_CHAIN
from loka_stratum.sources.embedded import EmbeddedSource
from tests.fakes.bitcoind import FakeBitcoind
from tests.sources.conftest import SourceFactory
from tests.sources.test_embedded_source import mine_through, running

UNKNOWN = bytes(range(32))


async def test_bitcoind_reports_depth_and_side_branches(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node) as source:
        first = await node.mine_block()
        second = await node.mine_block()
        assert await source.confirmations(first) == 2
        assert await source.confirmations(second) == 1
        assert node.chain.invalidate_tip() == second
        node.chain.mine(tag=b"/reorg/")
        assert await source.confirmations(second) == NOT_IN_BEST_CHAIN
        assert await source.confirmations(first) == 2
    assert node.calls[-1].params == [first[::-1].hex(), True]


async def test_bitcoind_unknown_block_is_not_in_the_best_chain_unless_syncing(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node) as source:
        assert await source.confirmations(UNKNOWN) == NOT_IN_BEST_CHAIN
    node.ibd = True
    async with started(node) as source:
        assert await source.confirmations(UNKNOWN) is None


async def test_bitcoind_without_an_answer_says_none(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node) as source:
        tip = await node.mine_block()
        node.fail("getblockheader", -1, "boom")
        assert await source.confirmations(tip) is None
        node.answer("getblockheader", {"confirmations": "many"})
        assert await source.confirmations(tip) is None
        await node.go_away()
        assert await source.confirmations(tip) is None


async def test_embedded_reports_depth_and_orphans() -> None:
    async with running() as source:
        first, second = await mine_through(source, 2)
        assert [await source.confirmations(h) for h in (first, second)] == [2, 1]
        source.invalidate_tip()
        assert await source.confirmations(second) == NOT_IN_BEST_CHAIN
        assert await source.confirmations(UNKNOWN) == NOT_IN_BEST_CHAIN
        assert await source.confirmations(first) == 1


async def test_embedded_before_start_cannot_tell() -> None:
    assert await EmbeddedSource().confirmations(UNKNOWN) is None
