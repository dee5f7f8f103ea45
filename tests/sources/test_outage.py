"""bitcoind going away and coming back: health, backoff, and what is emitted on return."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from loka_stratum.sources.base import SourceState
from loka_stratum.sources.bitcoind import Backoff
from tests.fakes.bitcoind import RPC_PASSWORD, FakeBitcoind
from tests.sources.conftest import SourceFactory
from tests.sources.helpers import eventually, next_update, wait_state


async def test_outage_is_down_and_a_tip_moved_meanwhile_is_a_new_block(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    with capture_logs() as logs:
        async with started(node) as source:
            updates = source.templates()
            first = await next_update(updates)
            await node.go_away()
            await wait_state(source, SourceState.DOWN)
            health = source.health()
            tip = await node.mine_block()
            await node.come_back()
            update = await next_update(updates)
            assert source.health().state is SourceState.HEALTHY
            stats = source.stats()
    assert "RpcUnavailable" in health.detail and "getbestblockhash" in health.detail
    assert health.height == first.template.height
    assert update.new_block and update.template.prev_hash == tip
    assert stats.reconnects == 1 and stats.new_tips["reconnect"] == 1
    assert any(entry["event"] == "bitcoind_retry" for entry in logs)
    assert RPC_PASSWORD not in repr(logs)


async def test_outage_without_a_new_tip_emits_a_refresh(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node) as source:
        updates = source.templates()
        first = await next_update(updates)
        await node.go_away()
        await wait_state(source, SourceState.DOWN)
        await node.come_back()
        update = await next_update(updates)
    assert not update.new_block
    assert update.template.prev_hash == first.template.prev_hash


async def test_unreachable_at_start_serves_once_the_node_appears(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    await node.go_away()
    async with started(node) as source:
        health = source.health()
        await node.come_back()
        update = await next_update(source.templates())
        await wait_state(source, SourceState.HEALTHY)
    assert health.state is SourceState.DOWN
    assert update.new_block and update.template.prev_hash == node.chain.tip


async def test_warming_up_node_is_down_until_it_is_ready(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    node.warmup = True
    async with started(node) as source:
        health = source.health()
        node.warmup = False
        update = await next_update(source.templates())
        await wait_state(source, SourceState.HEALTHY)
    assert health.state is SourceState.DOWN
    assert "RpcWarmingUp" in health.detail and "Loading block index" in health.detail
    assert update.new_block


async def test_restart_with_a_new_cookie_reconnects(tmp_path: Path, started: SourceFactory) -> None:
    async with FakeBitcoind(cookie_dir=tmp_path) as node, started(node) as source:
        updates = source.templates()
        await next_update(updates)
        await node.go_away()
        await wait_state(source, SourceState.DOWN)
        await node.come_back(rotate_cookie=True)
        await next_update(updates)
        assert source.health().state is SourceState.HEALTHY
        assert node.http.unauthorized == 1


async def test_node_restarted_on_another_chain_stays_down(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node) as source:
        updates = source.templates()
        await next_update(updates)
        await node.go_away()
        await wait_state(source, SourceState.DOWN)
        node.chain_name = "test"
        await node.come_back()
        await eventually(lambda: "ChainMismatchError" in source.health().detail, "mismatch")
        assert source.health().state is SourceState.DOWN
        templates = node.count("getblocktemplate")
        node.chain_name = "regtest"
        await next_update(updates)
        assert source.health().state is SourceState.HEALTHY
        assert node.count("getblocktemplate") == templates + 1


@given(st.integers(1, 40), st.integers(0, 2**32))
def test_backoff_grows_to_its_cap_with_bounded_jitter(attempt: int, seed: int) -> None:
    backoff = Backoff(initial=0.25, maximum=10.0)
    base = min(10.0, 0.25 * 2 ** (attempt - 1))
    delay = backoff.delay(attempt, random.Random(seed))
    assert base / 2 <= delay <= base
