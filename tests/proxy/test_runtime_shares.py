"""Shares through a running proxy: checked here against the miner's difficulty and answered
at once, forwarded only when they meet the upstream's, under the rewritten worker name;
the upstream's verdicts are counted apart and never change the miner's answer."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from loka_stratum.protocol import StratumError, StratumErrorCode, Submit
from loka_stratum.storage.verdicts import Verdict
from tests.proxy.fake_upstream import FakeUpstream
from tests.proxy.runtime_harness import (
    FIRST_JOB,
    MINER_DIFFICULTY,
    UPSTREAM_DIFFICULTY,
    ProxyMiner,
    running_proxy,
)


def strong_nonces(miner: ProxyMiner, count: int) -> list[int]:
    """`count` nonces whose shares meet the upstream difficulty."""
    nonces = [miner.nonce(UPSTREAM_DIFFICULTY)]
    while len(nonces) < count:
        nonces.append(miner.nonce(UPSTREAM_DIFFICULTY, start=nonces[-1] + 1))
    return nonces


async def test_only_shares_meeting_the_upstream_difficulty_go_up() -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY) as pool,
        running_proxy(pool) as proxy,
    ):
        miner = await proxy.miner()
        await miner.join("acct.rig1")
        upstream = await pool.session(0)
        weak = miner.nonce(MINER_DIFFICULTY, UPSTREAM_DIFFICULTY)
        invalid = miner.nonce(0.0, MINER_DIFFICULTY)
        strong = miner.nonce(UPSTREAM_DIFFICULTY)
        assert (await miner.submit(weak))["result"] is True
        assert (await miner.submit(invalid))["error"][0] == StratumErrorCode.LOW_DIFFICULTY
        assert (await miner.submit(strong))["result"] is True
        await proxy.sink.wait_for(lambda: len(proxy.sink.verdicts) == 1)
        assert [int(share.nonce, 16) for share in upstream.submits] == [strong]
        assert proxy.sink.kinds() == [Verdict.ACCEPTED]
        assert [share.accepted for share in proxy.sink.shares] == [True, False, True]
        assert proxy.sink.verdicts[0].difficulty == UPSTREAM_DIFFICULTY
        assert proxy.metric("upstream_shares_forwarded_total", upstream="primary") == 1
        await miner.close()


async def test_the_miner_is_answered_without_waiting_for_the_upstream() -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY, answer_submits=False) as pool,
        running_proxy(pool, response_timeout=0.2) as proxy,
    ):
        miner = await proxy.miner()
        await miner.join("acct.rig1")
        upstream = await pool.session(0)
        nonces = strong_nonces(miner, 3)
        for nonce in nonces:
            assert (await miner.submit(nonce))["result"] is True
        assert proxy.sink.verdicts == []  # every answer came before any verdict
        await pool.wait_for(lambda: len(upstream.submits) == 3)
        await proxy.sink.wait_for(lambda: len(proxy.sink.verdicts) == 3)
        assert proxy.sink.kinds() == [Verdict.UNANSWERED] * 3
        assert proxy.context.verdicts[("primary", Verdict.UNANSWERED)] == 3
        assert proxy.context.verdicts[("primary", Verdict.ACCEPTED)] == 0
        await miner.close()


async def test_worker_names_go_up_as_account_separator_miner_username() -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY) as pool,
        running_proxy(pool, username="farm", separator="+") as proxy,
    ):
        miner = await proxy.miner()
        await miner.join("alice.rig7")
        upstream = await pool.session(0)
        assert upstream.username == "farm+alice.rig7"  # the last authorize it saw
        assert (await miner.submit(miner.nonce(UPSTREAM_DIFFICULTY), worker="alice.rig7"))[
            "result"
        ] is True
        await proxy.sink.wait_for(lambda: len(proxy.sink.verdicts) == 1)
        assert [share.worker for share in upstream.submits] == ["farm+alice.rig7"]
        record = proxy.sink.verdicts[0]
        assert (record.account, record.worker, record.upstream) == ("alice", "rig7", "primary")
        await miner.close()


async def test_passthrough_without_an_account_sends_the_miners_own_credentials() -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY) as pool,
        running_proxy(pool, username=None, mode="passthrough") as proxy,
    ):
        miner = await proxy.miner()
        await miner.join("alice.rig1")
        upstream = await pool.session(0)
        assert upstream.username == "alice.rig1"
        assert (await miner.submit(miner.nonce(UPSTREAM_DIFFICULTY), worker="alice.rig1"))[
            "result"
        ] is True
        await proxy.sink.wait_for(lambda: len(proxy.sink.verdicts) == 1)
        assert [share.worker for share in upstream.submits] == ["alice.rig1"]
        assert proxy.sink.kinds() == [Verdict.ACCEPTED]
        await miner.close()


async def test_upstream_rejections_are_counted_as_rejected_or_stale_never_accepted() -> None:
    verdicts: dict[int, StratumErrorCode | StratumError] = {}

    def verdict(share: Submit) -> StratumErrorCode | StratumError | None:
        return verdicts.get(int(share.nonce, 16))

    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY, verdict=verdict) as pool,
        running_proxy(pool) as proxy,
    ):
        miner = await proxy.miner()
        await miner.join("acct.rig1")
        accepted, low, gone, stale = strong_nonces(miner, 4)
        verdicts[low] = StratumErrorCode.LOW_DIFFICULTY
        verdicts[gone] = StratumErrorCode.JOB_NOT_FOUND
        verdicts[stale] = StratumError(StratumErrorCode.OTHER, "Stale share")
        for nonce in (accepted, low, gone, stale):
            assert (await miner.submit(nonce))["result"] is True
        await proxy.sink.wait_for(lambda: len(proxy.sink.verdicts) == 4)
        assert Counter(proxy.sink.kinds()) == {
            Verdict.ACCEPTED: 1,
            Verdict.REJECTED: 1,
            Verdict.STALE: 2,
        }
        assert +proxy.context.verdicts == {
            ("primary", Verdict.ACCEPTED): 1,
            ("primary", Verdict.REJECTED): 1,
            ("primary", Verdict.STALE): 2,
        }
        assert all(share.accepted for share in proxy.sink.shares)
        metric = proxy.metric
        assert metric("upstream_shares_accepted_total", upstream="primary") == 1
        rejected = "upstream_shares_rejected_total"
        assert metric(rejected, upstream="primary", reason="low-difficulty") == 1
        assert metric(rejected, upstream="primary", reason="job-not-found") == 2
        await miner.close()


async def test_upstream_clean_jobs_make_older_jobs_stale_for_everyone() -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY) as pool,
        running_proxy(pool) as proxy,
    ):
        miners = [await proxy.miner(), await proxy.miner()]
        await miners[0].join("acct.rig1")
        await miners[1].join("acct.rig1")
        session = await pool.session(0)
        old = [miner.job for miner in miners]
        session.send(replace(FIRST_JOB, job_id="refresh", ntime="6553f200", clean_jobs=False))
        refreshed = [await miner.next_job() for miner in miners]
        for miner, job in zip(miners, old, strict=True):
            miner.job = job  # a refresh keeps the older job valid
            assert (await miner.submit(miner.nonce(UPSTREAM_DIFFICULTY)))["result"] is True
        session.send(replace(FIRST_JOB, job_id="block", prevhash="cd" * 32, clean_jobs=True))
        for miner, job in zip(miners, refreshed, strict=True):
            assert (await miner.next_job())[8] is True
            miner.job = job
            stale = await miner.submit(miner.nonce(UPSTREAM_DIFFICULTY))
            assert stale["error"][0] == StratumErrorCode.JOB_NOT_FOUND
        await proxy.sink.wait_for(lambda: len(proxy.sink.verdicts) == 2)
        assert [share.job_id for share in session.submits] == ["job1", "job1"]
        assert [share.reject_reason for share in proxy.sink.shares] == [
            None,
            None,
            "stale",
            "stale",
        ]
        for miner in miners:
            await miner.close()
