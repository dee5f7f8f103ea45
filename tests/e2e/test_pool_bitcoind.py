"""The pool against a scripted bitcoind: jobs follow the node, blocks reach it, outages pass."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from loka_stratum.app.pool import PoolApp
from loka_stratum.bitcoin.target import bits_to_difficulty
from loka_stratum.config import Settings
from loka_stratum.observability.metrics import Metrics
from loka_stratum.storage import BlockStatus
from tests.bitcoin.bitcoinlib_check import check_block_bytes
from tests.fakes.bitcoind import RPC_PASSWORD, RPC_USER, FakeBitcoind
from tests.fakes.bitcoind_chain import FakeChain
from tests.server.harness import Miner, find_share, submit_params
from tests.sources.helpers import eventually, fast_source

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
USER = f"{ADDRESS}.node-test"
NODE_BITS = 0x1F00FFFF
"""Blocks are 2**16 times rarer than tiny test shares, so a test mines one only on purpose."""
BLOCK_DIFFICULTY = bits_to_difficulty(NODE_BITS)


def settings(tmp_path: Path, node: FakeBitcoind) -> Settings:
    values: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": 0},
        "stratum": {"start_difficulty": 1e-9, "min_difficulty": 1e-9},
        "vardiff": {"enabled": False},
        "bitcoind": {
            "source": "bitcoind",
            "network": "regtest",
            "rpc_url": node.url,
            "rpc_user": RPC_USER,
            "rpc_password": RPC_PASSWORD,
        },
        "database": {"url": f"sqlite:///{tmp_path}/pool.db", "journal_dir": str(tmp_path / "j")},
    }
    return Settings.model_validate(values)


@pytest.fixture
async def node() -> AsyncIterator[FakeBitcoind]:
    async with FakeBitcoind(FakeChain(bits=NODE_BITS)) as fake:
        yield fake


@pytest.fixture
async def app(tmp_path: Path, node: FakeBitcoind) -> AsyncIterator[PoolApp]:
    metrics = Metrics(CollectorRegistry(), version="test", mode="pool")
    pool = PoolApp(settings(tmp_path, node), fast_source(node, template_refresh=0.3), metrics)
    await pool.start()
    yield pool
    await pool.stop()


def port(app: PoolApp) -> int:
    return next(iter(app.server.bound.values()))


async def next_notify(miner: Miner, *, clean: bool) -> list[Any]:
    while True:
        notify = await miner.notify()
        if notify[8] is clean:
            return notify


async def mine_block(miner: Miner, notify: list[Any], msg_id: int) -> dict[str, Any]:
    en2 = msg_id.to_bytes(4, "big")
    nonce = find_share(notify, miner.extranonce1, BLOCK_DIFFICULTY, extranonce2=en2)
    params = submit_params(notify, USER, nonce, extranonce2=en2)
    return await miner.call(msg_id, "mining.submit", params)


async def test_blocks_reach_the_node_with_the_right_bytes(app: PoolApp, node: FakeBitcoind) -> None:
    miner = await Miner.connect(port(app))
    notify = await miner.handshake(USER)
    ordinary = find_share(notify, miner.extranonce1, miner.difficulty)
    assert (await miner.call(5, "mining.submit", submit_params(notify, USER, ordinary)))["result"]
    assert node.submitted == []

    assert (await mine_block(miner, notify, 6))["result"] is True
    await node.wait_calls("submitblock", 1)
    block_hash, verdict = node.submitted[0]
    assert verdict is None  # the node's consensus checks accepted our bytes
    fresh = await next_notify(miner, clean=True)
    assert fresh[0] != notify[0]
    stale = find_share(notify, miner.extranonce1, miner.difficulty, extranonce2=b"\0\0\0\x09")
    params = submit_params(notify, USER, stale, extranonce2=b"\0\0\0\x09")
    assert (await miner.call(7, "mining.submit", params))["error"][0] == 21

    await eventually(lambda: app.blocks.found != [], "block handled")
    stored = await app.database.blocks.get_by_hash(block_hash)
    assert stored is not None
    assert stored.status is BlockStatus.PENDING and stored.submit_result is None
    assert stored.block_data is not None
    check_block_bytes(
        stored.block_data, expect_height=stored.height, expect_segwit=True, check_pow=True
    )
    await miner.close()


async def test_jobs_follow_other_miners_and_new_transactions(
    app: PoolApp, node: FakeBitcoind
) -> None:
    miner = await Miner.connect(port(app))
    first = await miner.handshake(USER)
    await node.mine_block()
    after_block = await next_notify(miner, clean=True)
    assert after_block[1] != first[1]  # new prevhash
    node.chain.add_transaction()
    refreshed = await next_notify(miner, clean=False)
    assert refreshed[1] == after_block[1]  # same tip
    assert refreshed[4] != after_block[4]  # a new transaction: a new merkle branch
    await miner.close()


async def test_rejected_verdicts_are_recorded(app: PoolApp, node: FakeBitcoind) -> None:
    node.force_verdict("inconclusive")
    miner = await Miner.connect(port(app))
    notify = await miner.handshake(USER)
    assert (await mine_block(miner, notify, 8))["result"] is True
    await eventually(lambda: app.blocks.found != [], "block handled")
    assert app.blocks.found[0].verdict == "inconclusive"
    stored = await app.database.blocks.get_by_hash(app.blocks.found[0].block_hash)
    assert stored is not None and stored.submit_result == "inconclusive"
    await miner.close()


async def test_the_pool_survives_the_node_going_away(app: PoolApp, node: FakeBitcoind) -> None:
    miner = await Miner.connect(port(app))
    notify = await miner.handshake(USER)
    await node.go_away()
    await eventually(lambda: app.source.health().state.value == "down", "source down")
    share = find_share(notify, miner.extranonce1, miner.difficulty)
    reply = await miner.call(9, "mining.submit", submit_params(notify, USER, share))
    assert reply["result"] is True  # miners keep working on the last job meanwhile
    await node.mine_block()  # the chain moved on while we could not see it
    await node.come_back()
    fresh = await next_notify(miner, clean=True)
    assert fresh[1] != notify[1]
    assert (await mine_block(miner, fresh, 10))["result"] is True
    await node.wait_calls("submitblock", 1)
    assert node.submitted[-1][1] is None
    await miner.close()
