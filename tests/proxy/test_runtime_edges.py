"""Miners that do things out of order, and upstreams that say no or are not there."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from loka_stratum.protocol import StratumErrorCode
from tests.proxy.fake_upstream import FakeUpstream
from tests.proxy.runtime_harness import UPSTREAM_DIFFICULTY, ProxyMiner, running_proxy

HANDSHAKE = 0.3


async def send(miner: ProxyMiner, msg_id: int, method: str, params: list[Any]) -> None:
    """Send without waiting for the answer (to pipeline requests)."""
    await miner.send_raw(orjson.dumps({"id": msg_id, "method": method, "params": params}) + b"\n")


async def test_submit_before_the_subscribe_is_answered_is_refused_then_work_goes_on() -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY) as pool,
        running_proxy(pool) as proxy,
    ):
        pool.refusing = True
        await pool.wait_for(lambda: pool.refused > 0)
        miner = await proxy.miner()
        await send(miner, 2, "mining.subscribe", ["early/1.0"])
        params = ["acct.rig1", "1", "00000000", "6553f100", "00000000"]
        early = await miner.call(3, "mining.submit", params)
        assert early["error"][0] == StratumErrorCode.NOT_SUBSCRIBED
        pool.refusing = False
        subscribed = await miner.response(2)
        assert subscribed["error"] is None
        miner.extranonce1 = bytes.fromhex(subscribed["result"][1])
        miner.extranonce2_size = subscribed["result"][2]
        unauthorized = await miner.call(4, "mining.submit", params)
        assert unauthorized["error"][0] == StratumErrorCode.UNAUTHORIZED
        assert (await miner.call(5, "mining.authorize", ["acct.rig1", "x"]))["result"] is True
        miner.job = await miner.notify()
        assert (await miner.submit(miner.nonce(UPSTREAM_DIFFICULTY)))["result"] is True
        await miner.close()


async def test_a_worker_the_upstream_refuses_is_refused_to_the_miner() -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY) as pool,
        running_proxy(pool) as proxy,
    ):
        await pool.session(0)  # the proxy's own account is authorized
        pool.authorize = False
        miner = await proxy.miner()
        reply = await miner.call(2, "mining.subscribe", ["m/1.0"])
        miner.extranonce1, miner.extranonce2_size = bytes.fromhex(reply["result"][1]), 4
        refused = await miner.call(3, "mining.authorize", ["acct.rig1", "x"])
        assert refused["error"][0] == StratumErrorCode.UNAUTHORIZED
        assert refused["result"] in (None, False)
        params = ["acct.rig1", "1", "00000000", "6553f100", "00000000"]
        submit = await miner.call(4, "mining.submit", params)
        assert submit["error"][0] == StratumErrorCode.UNAUTHORIZED
        pool.authorize = True
        assert (await miner.call(5, "mining.authorize", ["acct.rig1", "x"]))["result"] is True
        miner.job = await miner.notify()
        assert (await miner.submit(miner.nonce(UPSTREAM_DIFFICULTY)))["result"] is True
        await miner.close()


async def test_passthrough_miner_refused_upstream_gets_error_24() -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY, authorize=False) as pool,
        running_proxy(pool, username=None, mode="passthrough") as proxy,
    ):
        miner = await proxy.miner()
        assert (await miner.call(2, "mining.subscribe", ["m/1.0"]))["error"] is None
        refused = await miner.call(3, "mining.authorize", ["alice.rig1", "x"])
        assert refused["error"][0] == StratumErrorCode.UNAUTHORIZED
        await miner.close()


async def test_no_upstream_reachable_answers_subscribe_with_an_error_and_keeps_accepting() -> None:
    async with FakeUpstream(difficulty=UPSTREAM_DIFFICULTY) as pool:
        pool.refusing = True
        async with running_proxy(pool, handshake_timeout=HANDSHAKE) as proxy:
            for _ in range(2):
                miner = await proxy.miner()
                async with asyncio.timeout(HANDSHAKE * 10):
                    reply = await miner.call(2, "mining.subscribe", ["m/1.0"])
                    assert reply["result"] is None and reply["error"] is not None
                    assert await miner.closed_by_pool()
                await miner.close()
            assert proxy.context.sessions == set()
            pool.refusing = False
            late = await proxy.miner()
            await late.join("acct.rig1")
            assert (await late.submit(late.nonce(UPSTREAM_DIFFICULTY)))["result"] is True
            await late.close()
