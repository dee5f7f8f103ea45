"""BitcoindSource against the fake node: first template, new blocks, refreshes, stop."""

from __future__ import annotations

import asyncio
import time

import pytest

from loka_stratum.sources.base import SourceState, WorkSource
from loka_stratum.sources.bitcoind import ChainMismatchError
from loka_stratum.sources.gbt import parse_template
from tests.fakes.bitcoind import FakeBitcoind
from tests.sources.conftest import SourceFactory
from tests.sources.helpers import (
    eventually,
    fast_source,
    next_update,
    source_tasks,
    wait_state,
)


async def test_start_serves_the_nodes_template_first(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    node.chain.add_transaction(segwit=True, fee=1500)
    node.chain.add_transaction(segwit=False, fee=700)
    expected = parse_template(node.chain.template())
    async with started(node) as source:
        update = await next_update(source.templates())
        health = source.health()
    assert update.new_block
    assert update.template == expected
    assert update.template.witness_commitment is not None
    assert update.template.coinbase_value == 25 * 10**8 + 2200
    assert (health.state, health.height) == (SourceState.HEALTHY, node.chain.height + 1)
    assert health.last_template_at is not None
    assert [call.method for call in node.calls[:2]] == ["getblockchaininfo", "getblocktemplate"]
    assert node.calls[1].params == [{"rules": ["segwit"]}]


async def test_wrong_chain_fails_start_and_leaves_nothing_running() -> None:
    async with FakeBitcoind(chain_name="main") as node:
        source = fast_source(node)
        with pytest.raises(ChainMismatchError, match="'main', configured 'regtest'"):
            await source.start()
        assert source_tasks() == []
        assert node.count("getblocktemplate") == 0


async def test_initial_block_download_is_degraded_until_it_ends(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    node.ibd = True
    async with started(node, template_refresh=0.05) as source:
        health = source.health()
        assert health.state is SourceState.DEGRADED
        assert "initial block download" in health.detail
        node.ibd = False
        await wait_state(source, SourceState.HEALTHY)


async def test_new_block_via_zmq_arrives_fast_without_polling(
    zmq_node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(zmq_node, zmq_hashblock=zmq_node.zmq_endpoint, poll_interval=60.0) as source:
        updates = source.templates()
        first = await next_update(updates)
        await zmq_node.wait_subscribed()
        polls = zmq_node.count("getbestblockhash")
        began = time.perf_counter()
        tip = await zmq_node.mine_block()
        update = await next_update(updates)
        latency = time.perf_counter() - began
        assert source.health().state is SourceState.HEALTHY
        stats = source.stats()
    assert update.new_block and update.template.prev_hash == tip
    assert update.template.height == first.template.height + 1
    assert latency < 0.2, f"{latency * 1000:.0f} ms from tip change to update"
    assert zmq_node.count("getbestblockhash") == polls
    assert stats.new_tips == {"start": 1, "zmq": 1}


async def test_new_block_via_polling_when_zmq_is_off(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node) as source:
        updates = source.templates()
        await next_update(updates)
        tip = await node.mine_block()
        update = await next_update(updates)
        stats = source.stats()
    assert update.new_block and update.template.prev_hash == tip
    assert stats.new_tips == {"start": 1, "poll": 1}


async def test_silent_zmq_degrades_to_polling_and_recovers(
    zmq_node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(zmq_node, zmq_hashblock=zmq_node.zmq_endpoint) as source:
        updates = source.templates()
        await next_update(updates)
        await zmq_node.wait_subscribed()
        zmq_node.zmq_muted = True
        tip = await zmq_node.mine_block()
        assert (await next_update(updates)).template.prev_hash == tip
        await wait_state(source, SourceState.DEGRADED)
        assert "zmq hashblock silent" in source.health().detail
        zmq_node.zmq_muted = False
        await zmq_node.mine_block()
        await next_update(updates)
        await wait_state(source, SourceState.HEALTHY)


async def test_node_without_zmqpubhashblock_is_degraded_from_the_start(
    zmq_node: FakeBitcoind, started: SourceFactory
) -> None:
    zmq_node.zmq_published = False
    async with started(zmq_node, zmq_hashblock=zmq_node.zmq_endpoint) as source:
        health = source.health()
    assert health.state is SourceState.DEGRADED
    assert "node publishes no hashblock" in health.detail


async def test_refresh_emits_only_when_the_work_changed(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node, template_refresh=0.03) as source:
        updates = source.templates()
        first = await next_update(updates)
        fetched = node.count("getblocktemplate")
        await node.wait_calls("getblocktemplate", fetched + 3)
        assert source.stats().templates == 1
        tx = node.chain.add_transaction(fee=4321)
        update = await next_update(updates)
    assert not update.new_block
    assert update.template.prev_hash == first.template.prev_hash
    assert update.template.txids == [tx.txid()]
    assert update.template.coinbase_value == first.template.coinbase_value + 4321


async def test_a_slow_consumer_gets_the_latest_template_still_flagged_new_block(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node, template_refresh=0.03) as source:
        updates = source.templates()
        await next_update(updates)
        tip = await node.mine_block()
        await eventually(lambda: source.stats().new_tips.get("poll") == 1, "the new tip")
        node.chain.add_transaction(fee=999)
        await eventually(lambda: source.stats().templates == 3, "the refresh")
        update = await next_update(updates)
    assert update.new_block
    assert update.template.prev_hash == tip
    assert len(update.template.transactions) == 1


async def test_rpc_error_and_malformed_template_keep_serving_the_last_template(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node, template_refresh=0.03) as source:
        updates = source.templates()
        first = await next_update(updates)
        node.fail("getblocktemplate", -1, "CreateNewBlock: TestBlockValidity failed")
        await wait_state(source, SourceState.DEGRADED)
        assert "TestBlockValidity" in source.health().detail
        await wait_state(source, SourceState.HEALTHY)
        node.template_hook = lambda gbt: {**gbt, "bits": "not-hex"}
        await wait_state(source, SourceState.DEGRADED)
        assert "TemplateError" in source.health().detail
        assert source.health().height == first.template.height
        node.template_hook = None
        await wait_state(source, SourceState.HEALTHY)


async def test_stop_ends_the_iterator_and_leaves_no_task_behind(
    zmq_node: FakeBitcoind,
) -> None:
    source = fast_source(zmq_node, zmq_hashblock=zmq_node.zmq_endpoint)
    await source.start()
    updates = source.templates()
    await next_update(updates)
    pending = asyncio.ensure_future(anext(updates))
    await source.stop()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 1)
    assert source_tasks() == []
    result = await source.submit_block(bytes(81))
    assert result.verdict is not None and result.verdict.startswith("rpc-error")


async def test_malformed_replies_degrade_or_fail_without_killing_the_watcher(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    async with started(node) as source:
        updates = source.templates()
        await next_update(updates)
        node.answer("getbestblockhash", 42, times=3)
        await wait_state(source, SourceState.DEGRADED)
        assert "not a block hash" in source.health().detail
        await wait_state(source, SourceState.HEALTHY)
        await node.go_away()
        await wait_state(source, SourceState.DOWN)
        node.answer("getblockchaininfo", ["not", "an", "object"])
        await node.come_back()
        await eventually(lambda: "without a chain name" in source.health().detail, "bad info")
        tip = await node.mine_block()
        assert (await next_update(updates)).template.prev_hash == tip


async def test_rpc_latency_is_reported_per_method(
    node: FakeBitcoind, started: SourceFactory
) -> None:
    observed: list[tuple[str, float]] = []
    async with started(node, rpc_latency_observer=lambda m, s: observed.append((m, s))) as source:
        await next_update(source.templates())
        await node.wait_calls("getbestblockhash", 2)
    methods = [method for method, _ in observed]
    assert methods[:2] == ["getblockchaininfo", "getblocktemplate"]
    assert "getbestblockhash" in methods
    assert all(0 <= seconds < 2 for _, seconds in observed)


def test_bitcoind_source_is_a_work_source(node: FakeBitcoind) -> None:
    source: WorkSource = fast_source(node)
    assert source.network.name == "regtest"
    assert source.health().state is SourceState.STARTING
