"""EmbeddedSource: the WorkSource contract over the embedded chain, persistence, lifecycle."""

from __future__ import annotations

import asyncio
import math
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from loka_stratum.bitcoin.network import REGTEST
from loka_stratum.sources.base import NOT_IN_BEST_CHAIN, SourceState, TemplateUpdate, WorkSource
from loka_stratum.sources.embedded import DEFAULT_NETWORK_DIFFICULTY, EmbeddedSource
from loka_stratum.sources.embedded_chain import (
    DEFAULT_TEST_MINER_HASHRATE,
    EmbeddedChain,
    bits_for_difficulty,
)
from loka_stratum.sources.embedded_store import ChainFileError, write_chain
from tests.sources.embedded_blocks import NOW, pool_block

DEADLINE = 5.0
EASY = 1e-12
"""Clamped to regtest's limit: every other nonce is a block."""


class FakeClock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def running(**overrides: Any) -> AsyncIterator[EmbeddedSource]:
    settings: dict[str, Any] = {"network_difficulty": EASY, "clock": FakeClock()}
    source = EmbeddedSource(**(settings | overrides))
    await source.start()
    try:
        yield source
    finally:
        await source.stop()


async def next_update(updates: AsyncIterator[TemplateUpdate]) -> TemplateUpdate:
    return await asyncio.wait_for(anext(updates), DEADLINE)


def embedded_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("embedded-") and not t.done()]


async def test_first_update_is_the_next_block_on_genesis() -> None:
    async with running() as source:
        first = await next_update(source.templates())
        assert first.new_block
        assert first.template.height == 1
        assert first.template.prev_hash == bytes.fromhex(REGTEST.genesis_hash_hex)[::-1]
        assert first.template.curtime == NOW
        assert source.network is REGTEST
        health = source.health()
        assert (health.state, health.height, health.last_template_at) == (
            SourceState.HEALTHY,
            1,
            NOW,
        )


async def test_satisfies_the_work_source_protocol() -> None:
    source: WorkSource = EmbeddedSource()
    assert source.network is REGTEST


async def test_accepted_block_publishes_a_new_block_template_at_once() -> None:
    async with running() as source:
        updates = source.templates()
        first = await next_update(updates)
        result = await source.submit_block(pool_block(first.template))
        assert result.accepted
        assert result.height == 1
        update = await next_update(updates)
        assert update.new_block
        assert update.template.height == 2
        assert update.template.prev_hash == result.block_hash
        assert source.best_height == 1
        assert source.block_hash_at(1) == result.block_hash
        assert await source.confirmations(result.block_hash) == 1


async def test_rejected_block_changes_nothing() -> None:
    async with running() as source:
        first = await next_update(source.templates())
        block = bytearray(pool_block(first.template))
        block[-1] ^= 1  # the last transaction's locktime: the merkle root no longer matches
        result = await source.submit_block(bytes(block))
        assert result.verdict == "bad-txnmrklroot"
        assert source.best_height == 0
        assert source.health().height == 1


async def test_refresh_brings_fresh_filler_on_the_same_tip() -> None:
    async with running(template_refresh=0.01) as source:
        updates = source.templates()
        first = await next_update(updates)
        refresh = await next_update(updates)
        assert not refresh.new_block
        assert refresh.template.prev_hash == first.template.prev_hash
        assert refresh.template.height == first.template.height
        assert not set(refresh.template.txids) & set(first.template.txids)


async def test_a_late_iterator_starts_with_the_current_template() -> None:
    async with running() as source:
        first = await next_update(source.templates())
        again = await next_update(source.templates())
        assert again == TemplateUpdate(first.template, new_block=True)


async def test_stop_ends_iterators_and_leaves_no_tasks() -> None:
    source = EmbeddedSource(network_difficulty=EASY)
    assert source.health().state is SourceState.STARTING
    await source.start()
    assert embedded_tasks()
    updates = source.templates()
    await next_update(updates)
    await source.stop()
    with pytest.raises(StopAsyncIteration):
        await next_update(updates)
    assert embedded_tasks() == []
    assert source.health().state is SourceState.DOWN
    with pytest.raises(RuntimeError, match="started"):
        await source.start()


async def test_blocks_before_start_are_refused(tmp_path: Path) -> None:
    source = EmbeddedSource(network_difficulty=EASY, chain_file=tmp_path / "chain.dat")
    block = pool_block(EmbeddedChain().template(NOW))
    with pytest.raises(RuntimeError, match="not started"):
        await source.submit_block(block)
    with pytest.raises(RuntimeError, match="not started"):
        source.invalidate_tip()
    assert not (tmp_path / "chain.dat").exists()


async def test_start_twice_is_refused() -> None:
    async with running() as source:
        with pytest.raises(RuntimeError, match="already started"):
            await source.start()


def test_default_difficulty_is_one_block_a_minute_for_a_cpu_test_miner() -> None:
    assert math.isclose(DEFAULT_NETWORK_DIFFICULTY, DEFAULT_TEST_MINER_HASHRATE * 60 / 2**32)
    assert bits_for_difficulty(DEFAULT_NETWORK_DIFFICULTY) != REGTEST.pow_limit_bits


async def test_network_difficulty_sets_the_template_bits() -> None:
    async with running(network_difficulty=DEFAULT_NETWORK_DIFFICULTY) as source:
        first = await next_update(source.templates())
        assert first.template.bits == bits_for_difficulty(DEFAULT_NETWORK_DIFFICULTY)


def test_nonsense_refresh_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="template_refresh"):
        EmbeddedSource(template_refresh=0)


# -- chain file -------------------------------------------------------------------------


async def mine_through(
    source: EmbeddedSource, count: int, updates: AsyncIterator[TemplateUpdate] | None = None
) -> list[bytes]:
    """Mine ``count`` blocks on the templates as they come; returns their hashes."""
    updates = source.templates() if updates is None else updates
    hashes = []
    for _ in range(count):
        update = await next_update(updates)
        result = await source.submit_block(pool_block(update.template))
        assert result.accepted
        hashes.append(result.block_hash)
    return hashes


async def test_accepted_blocks_are_on_disk_when_submit_returns(tmp_path: Path) -> None:
    path = tmp_path / "data" / "chain.dat"
    async with running(chain_file=path) as source:
        assert path.exists()
        for height, block_hash in enumerate(await mine_through(source, 3), start=1):
            assert EmbeddedChain.load(path)[0].block_hash_at(height) == block_hash


async def test_a_restart_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "chain.dat"
    async with running(chain_file=path) as source:
        hashes = await mine_through(source, 3)
    async with running(chain_file=path) as source:
        first = await next_update(source.templates())
        assert source.best_height == 3
        assert first.template.height == 4
        assert first.template.prev_hash == hashes[-1]


async def test_a_torn_tail_is_logged_and_the_chain_continues(tmp_path: Path) -> None:
    path = tmp_path / "chain.dat"
    async with running(chain_file=path) as source:
        await mine_through(source, 2)
    path.write_bytes(path.read_bytes()[:-3])
    with capture_logs() as logs:
        async with running(chain_file=path) as source:
            assert source.best_height == 1
    torn = [entry for entry in logs if entry["event"] == "embedded_chain_torn_tail"]
    assert torn
    assert torn[0]["dropped_bytes"] > 3


async def test_a_damaged_chain_file_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "chain.dat"
    path.write_bytes(b"garbage" * 10)
    source = EmbeddedSource(chain_file=path)
    with pytest.raises(ChainFileError, match="magic"):
        await source.start()
    assert embedded_tasks() == []


async def test_a_chain_file_of_another_genesis_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "chain.dat"
    write_chain(path, bytes(32), [])
    with pytest.raises(ChainFileError, match="genesis"):
        await EmbeddedSource(chain_file=path).start()


async def test_a_failed_write_degrades_health_until_the_file_is_rewritten(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    path = directory / "chain.dat"
    async with running(chain_file=path) as source:
        shutil.rmtree(directory)
        await mine_through(source, 1)
        health = source.health()
        assert health.state is SourceState.DEGRADED
        assert "chain file" in health.detail
        assert source.best_height == 1
        directory.mkdir()
        await mine_through(source, 1)
        assert source.health().state is SourceState.HEALTHY
        assert EmbeddedChain.load(path)[0].best_height == 2


# -- simulated reorg --------------------------------------------------------------------


async def test_invalidate_tip_orphans_the_block_and_publishes_new_work(tmp_path: Path) -> None:
    path = tmp_path / "chain.dat"
    async with running(chain_file=path) as source:
        updates = source.templates()
        first, second = await mine_through(source, 2, updates)
        await next_update(updates)  # the template for height 3
        assert source.invalidate_tip() == second
        update = await next_update(updates)
        assert update.new_block
        assert (update.template.height, update.template.prev_hash) == (2, first)
        assert await source.confirmations(second) == NOT_IN_BEST_CHAIN
        assert await source.confirmations(first) == 1
        assert EmbeddedChain.load(path)[0].best_height == 1
