"""The upstream changes under a running proxy: it drops and comes back, it sends
`client.reconnect`, the primary fails and returns. Miners that took
`mining.extranonce.subscribe` are re-homed in place, the others asked to reconnect to
the proxy; shares in flight end unanswered, never accepted."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loka_stratum.proxy.upstream_view import UpstreamSourceView
from loka_stratum.sources.base import SourceState
from loka_stratum.storage.verdicts import Verdict
from tests.proxy.fake_upstream import FakeUpstream
from tests.proxy.runtime_harness import (
    FIRST_JOB,
    UPSTREAM_DIFFICULTY,
    ProxyMiner,
    ProxyRun,
    running_proxy,
)


async def two_miners(proxy: ProxyRun, pool: FakeUpstream) -> tuple[ProxyMiner, ProxyMiner]:
    """One miner that takes `mining.set_extranonce`, one that does not, on one fresh job
    (the fake upstream resends its job on every authorize)."""
    movable, fixed = await proxy.miner(), await proxy.miner()
    await movable.join("acct.movable", extranonce_subscribe=True)
    await fixed.join("acct.fixed")
    fresh = replace(FIRST_JOB, job_id="fresh", prevhash="ab" * 32)
    (await pool.session(0)).send(fresh)
    for miner in (movable, fixed):
        while (await miner.next_job())[1] != fresh.prevhash:
            pass
    return movable, fixed


async def rehomed(miner: ProxyMiner, upstream_extranonce1: bytes) -> list[Any]:
    """`mining.set_extranonce` onto `upstream_extranonce1`, then a clean job (returned)."""
    extranonce1_hex, size = await miner.expect("mining.set_extranonce")
    extranonce1 = bytes.fromhex(extranonce1_hex)
    assert extranonce1[:4] == upstream_extranonce1 and len(extranonce1) == 8
    assert extranonce1 != miner.extranonce1 or upstream_extranonce1 == miner.extranonce1[:4]
    miner.extranonce1, miner.extranonce2_size = extranonce1, size
    job = await miner.next_job()
    assert job[8] is True
    return job


async def sent_back_to_the_proxy(miner: ProxyMiner) -> None:
    """`client.reconnect` with no host or port (so: here again), then the proxy closes."""
    assert await miner.expect("client.reconnect") == []
    assert await miner.closed_by_pool()
    await miner.close()


async def accepted_upstream(miner: ProxyMiner, proxy: ProxyRun, upstream: FakeUpstream) -> None:
    """A share from `miner` goes to `upstream`'s newest session and is accepted there."""
    session = upstream.sessions[-1]
    before = len(proxy.sink.verdicts)
    nonce = miner.nonce(UPSTREAM_DIFFICULTY)
    assert (await miner.submit(nonce, worker="acct.movable"))["result"] is True
    await proxy.sink.wait_for(lambda: len(proxy.sink.verdicts) == before + 1)
    assert proxy.sink.verdicts[-1].verdict is Verdict.ACCEPTED
    share = session.submits[-1]
    assert bytes.fromhex(share.extranonce2)[:4] == miner.extranonce1[4:]
    assert int(share.nonce, 16) == nonce


async def test_upstream_drops_and_comes_back() -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY, answer_submits=False) as pool,
        running_proxy(pool) as proxy,
    ):
        movable, fixed = await two_miners(proxy, pool)
        first = await pool.session(0)
        nonce = movable.nonce(UPSTREAM_DIFFICULTY)
        assert (await movable.submit(nonce, worker="acct.movable"))["result"] is True
        await pool.wait_for(lambda: len(first.submits) == 1)
        pool.answer_submits = True
        first.drop()
        await proxy.sink.wait_for(lambda: len(proxy.sink.verdicts) == 1)
        assert proxy.sink.kinds() == [Verdict.UNANSWERED]
        second = await pool.session(1)
        assert second.extranonce1 != first.extranonce1
        await rehomed(movable, second.extranonce1)
        await sent_back_to_the_proxy(fixed)
        await accepted_upstream(movable, proxy, pool)
        assert proxy.sink.kinds() == [Verdict.UNANSWERED, Verdict.ACCEPTED]
        assert proxy.context.verdicts[("primary", Verdict.ACCEPTED)] == 1
        again = await proxy.miner()
        await again.join("acct.fixed")  # the miner sent away gets work on its return
        await movable.close()
        await again.close()


async def test_upstream_set_extranonce_rehomes_miners_onto_a_clean_job() -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY) as pool,
        running_proxy(pool) as proxy,
    ):
        movable, fixed = await two_miners(proxy, pool)
        session = await pool.session(0)
        session.send(replace(FIRST_JOB, job_id="refresh", ntime="6553f200", clean_jobs=False))
        assert (await movable.next_job())[8] is False
        session.set_extranonce(bytes.fromhex("e0e0e0e0"), 8)
        # The new extranonce applies from the pool's next job, which the miners get clean.
        session.send(replace(FIRST_JOB, job_id="after", ntime="6553f300", clean_jobs=False))
        job = await rehomed(movable, bytes.fromhex("e0e0e0e0"))
        assert job[7] == "6553f300"  # the pool's next job, not the last one re-sent
        await sent_back_to_the_proxy(fixed)
        await accepted_upstream(movable, proxy, pool)
        await movable.close()


async def test_client_reconnect_is_followed_by_the_proxy_not_the_miners() -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY) as pool,
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY) as elsewhere,
        running_proxy(pool) as proxy,
    ):
        movable, fixed = await two_miners(proxy, pool)
        (await pool.session(0)).reconnect("127.0.0.1", elsewhere.port)
        target = await elsewhere.session(0)
        await rehomed(movable, target.extranonce1)
        await sent_back_to_the_proxy(fixed)
        await accepted_upstream(movable, proxy, elsewhere)
        assert len(pool.sessions) == 1
        assert proxy.context.health()[0].upstream == "primary"
        await movable.close()


async def test_primary_fails_then_returns_failover_and_failback() -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY) as primary,
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY) as secondary,
    ):
        primary.refusing = True
        async with running_proxy(primary, secondary, failback_interval=0.05) as proxy:
            view = UpstreamSourceView(proxy.context)
            miner = await proxy.miner()
            await miner.join("acct.movable", extranonce_subscribe=True)
            [health] = proxy.context.health()
            assert (health.upstream, health.failovers, health.failbacks) == ("secondary", 1, 0)
            source = view.health()
            assert source.state is SourceState.DEGRADED
            assert "upstream secondary" in source.detail and "failovers 1" in source.detail
            await accepted_upstream(miner, proxy, secondary)
            await primary.wait_for(lambda: primary.refused >= 2)  # fail-back keeps trying
            primary.refusing = False
            back = await primary.session(0)
            await rehomed(miner, back.extranonce1)
            [health] = proxy.context.health()
            assert (health.upstream, health.failovers, health.failbacks) == ("primary", 1, 1)
            assert view.health().state is SourceState.HEALTHY
            await accepted_upstream(miner, proxy, primary)
            assert {upstream for upstream, _ in proxy.context.verdicts} == {
                "primary",
                "secondary",
            }
            await miner.close()
