"""How many upstream connections the proxy opens: 300 miners share one when the upstream's
extranonce2 space allows it, a second opens when it does not, and passthrough gives each
miner its own, closed when the miner leaves."""

from __future__ import annotations

import asyncio

from loka_stratum.storage.verdicts import Verdict
from tests.proxy.fake_upstream import FakeUpstream
from tests.proxy.runtime_harness import UPSTREAM_DIFFICULTY, ProxyMiner, ProxyRun, running_proxy

MINERS = 300
USER = "acct.rig"
"""One worker name for all: the fake upstream resends its job on every new authorize."""


async def crowd(proxy: ProxyRun, count: int) -> list[ProxyMiner]:
    miners = await asyncio.gather(*(proxy.miner() for _ in range(count)))
    await asyncio.gather(*(miner.join(USER) for miner in miners))
    return list(miners)


async def test_three_hundred_miners_share_one_upstream_connection() -> None:
    async with (
        FakeUpstream(extranonce2_size=8, difficulty=UPSTREAM_DIFFICULTY) as pool,
        running_proxy(pool) as proxy,
    ):
        miners = await crowd(proxy, MINERS)
        assert len(pool.sessions) == 1 and len(proxy.context.channels) == 1
        upstream = pool.sessions[0]
        assert len({miner.extranonce1 for miner in miners}) == MINERS
        assert {miner.extranonce1[:4] for miner in miners} == {upstream.extranonce1}
        assert {miner.extranonce2_size for miner in miners} == {4}
        assert all(miner.job[0] == miners[0].job[0] for miner in miners)
        sample = miners[::30]
        nonces = [miner.nonce(UPSTREAM_DIFFICULTY) for miner in sample]
        answers = await asyncio.gather(
            *(miner.submit(nonce, worker=USER) for miner, nonce in zip(sample, nonces, strict=True))
        )
        assert all(answer["result"] is True for answer in answers)
        await proxy.sink.wait_for(lambda: len(proxy.sink.verdicts) == len(sample))
        assert proxy.sink.kinds() == [Verdict.ACCEPTED] * len(sample)
        forwarded = {bytes.fromhex(share.extranonce2)[:4] for share in upstream.submits}
        assert forwarded == {miner.extranonce1[4:] for miner in sample}
        assert len(pool.sessions) == 1
        await asyncio.gather(*(miner.close() for miner in miners))


async def test_a_full_upstream_connection_opens_a_second_one() -> None:
    async with (
        FakeUpstream(extranonce2_size=4, difficulty=UPSTREAM_DIFFICULTY) as pool,
        running_proxy(pool) as proxy,
    ):
        miners = await crowd(proxy, MINERS)
        assert len(pool.sessions) == 2 and len(proxy.context.channels) == 2
        assert len({miner.extranonce1 for miner in miners}) == MINERS
        upstreams = {session.extranonce1 for session in pool.sessions}
        per_upstream = {
            e1: sum(miner.extranonce1[:4] == e1 for miner in miners) for e1 in upstreams
        }
        assert sum(per_upstream.values()) == MINERS
        assert max(per_upstream.values()) <= 256 and min(per_upstream.values()) > 0
        assert {miner.extranonce2_size for miner in miners} == {3}
        await asyncio.gather(*(miner.close() for miner in miners))


async def test_passthrough_gives_each_miner_its_own_connection_until_it_leaves() -> None:
    async with (
        FakeUpstream(extranonce2_size=8, difficulty=UPSTREAM_DIFFICULTY) as pool,
        running_proxy(pool, mode="passthrough") as proxy,
    ):
        first, second = await proxy.miner(), await proxy.miner()
        await first.join("alice.rig1")
        await second.join("bob.rig1")
        assert len(pool.sessions) == 2
        assert {first.extranonce1, second.extranonce1} == {s.extranonce1 for s in pool.sessions}
        assert first.extranonce2_size == second.extranonce2_size == 8
        nonce = second.nonce(UPSTREAM_DIFFICULTY)
        assert (await second.submit(nonce, worker="bob.rig1"))["result"] is True
        await proxy.sink.wait_for(lambda: len(proxy.sink.verdicts) == 1)
        [own] = [s for s in pool.sessions if s.extranonce1 == second.extranonce1]
        assert [share.worker for share in own.submits] == ["acct.bob.rig1"]
        await first.close()
        [gone] = [s for s in pool.sessions if s.extranonce1 == first.extranonce1]
        await pool.wait_for(gone.writer.is_closing)
        assert not own.writer.is_closing()
        assert len(proxy.context.channels) == 1
        await second.close()
        await pool.wait_for(own.writer.is_closing)
