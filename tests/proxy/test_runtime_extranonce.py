"""The upstream extranonce2 split through a running proxy: prefix widths by upstream size,
what miners are told, what the upstream is sent, and (property) that no two live miners
can ever build the same coinbase, whatever joins, leaves and upstream changes happen."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.protocol import Notify
from loka_stratum.proxy.session import ProxySession
from loka_stratum.proxy.subdivision import MinerExtranonce
from tests.proxy.fake_upstream import FakeUpstream
from tests.proxy.runtime_harness import (
    FIRST_JOB,
    UPSTREAM_DIFFICULTY,
    ScriptedChannel,
    miner_header,
    running_proxy,
    upstream_header,
)

BRANCHED = Notify(
    "pool-77", "11" * 32, "0100000001" + "00" * 36, "ffffffff0100", ("22" * 32, "33" * 32),
    "20000000", "1d00ffff", "6553f1a0", True,
)  # fmt: skip


@pytest.mark.parametrize(("size", "width"), [(2, 1), (4, 1), (8, 4)])
async def test_miners_get_upstream_extranonce1_plus_prefix_and_shares_go_up_whole(
    size: int, width: int
) -> None:
    async with (
        FakeUpstream(extranonce2_size=size, difficulty=UPSTREAM_DIFFICULTY) as pool,
        running_proxy(pool) as proxy,
    ):
        first, second = await proxy.miner(), await proxy.miner()
        await first.join("acct.rig1")
        await second.join("acct.rig2")
        upstream = await pool.session(0)
        for miner in (first, second):
            assert miner.extranonce1[:4] == upstream.extranonce1
            assert len(miner.extranonce1) == 4 + width
            assert miner.extranonce2_size == size - width
        assert first.extranonce1 != second.extranonce1
        upstream.send(BRANCHED)
        for count, (miner, worker) in enumerate(((first, "acct.rig1"), (second, "acct.rig2")), 1):
            while (job := await miner.next_job())[4] != list(BRANCHED.merkle_branch):
                pass  # the fake upstream resends its first job on every authorize
            assert job[0] != "pool-77"
            e2 = bytes(range(1, miner.extranonce2_size + 1))
            nonce = miner.nonce(UPSTREAM_DIFFICULTY, e2=e2)
            assert (await miner.submit(nonce, worker=worker, extranonce2=e2))["result"] is True
            await pool.wait_for(lambda: len(upstream.submits) == count)  # noqa: B023
            share = upstream.submits[-1]
            assert share.job_id == "pool-77"
            assert share.worker == f"acct.{worker}"
            assert bytes.fromhex(share.extranonce2) == miner.extranonce1[4:] + e2
            assert upstream_header(BRANCHED, upstream.extranonce1, share) == miner_header(
                miner.job, miner.extranonce1, e2, nonce
            )
        await first.close()
        await second.close()


@dataclass(eq=False)
class Rig:
    """A miner as the channel sees one: re-homed in place, or sent away to reconnect."""

    extranonce_subscribed: bool
    extranonce1: bytes | None = None
    extranonce2_size: int = 0
    gone: bool = False

    @property
    def can_take_extranonce(self) -> bool:
        return self.extranonce_subscribed

    def take(self, slot: MinerExtranonce) -> None:
        self.extranonce1, self.extranonce2_size = slot.extranonce1, slot.extranonce2_size

    def rehome(self, slot: MinerExtranonce | None) -> None:
        if slot is None or not self.extranonce_subscribed:
            self.gone = True
        else:
            self.take(slot)


JOIN = st.tuples(st.just("join"), st.booleans())
LEAVE = st.tuples(st.just("leave"), st.integers(0, 1000))
REHOME = st.tuples(st.just("rehome"), st.booleans())
"""A new upstream connection (or set_extranonce): a new extranonce1, or the same again."""
OPS = st.lists(st.one_of(JOIN, JOIN, LEAVE, REHOME), max_size=40)


def check_no_two_coinbases_alike(scripted: ScriptedChannel, rigs: list[Rig], e2: bytes) -> None:
    channel = scripted.channel
    split = channel.split
    assert split is not None and channel.current is not None
    job = channel.current.job
    live = [rig for rig in rigs if not rig.gone]
    assert {id(s) for s in channel.sessions} == {id(rig) for rig in live}
    assert split.in_use == len(live), "prefixes leaked or freed under a live miner"
    upstream_e1 = split.upstream_extranonce1
    seen: set[bytes] = set()
    for rig in live:
        assert rig.extranonce1 is not None
        mine = e2[: rig.extranonce2_size]
        up_e2 = channel.upstream_extranonce2(rig.extranonce1, mine)
        assert up_e2 is not None, "a live miner's extranonce is not of the current upstream"
        coinbase = job.coinb1 + rig.extranonce1 + mine + job.coinb2
        assert coinbase == job.coinb1 + upstream_e1 + up_e2 + job.coinb2
        seen.add(coinbase)
    assert len(seen) == len(live)


@given(size=st.sampled_from([2, 4, 8]), ops=OPS, e2=st.binary(min_size=8, max_size=8))
def test_no_two_live_miners_build_the_same_coinbase(
    size: int, ops: list[tuple[str, object]], e2: bytes
) -> None:
    extranonce1 = 0xF0000001
    scripted = ScriptedChannel()
    scripted.connect(extranonce1.to_bytes(4, "big"), size, replace(BRANCHED, clean_jobs=False))
    channel = scripted.channel
    rigs: list[Rig] = []
    for op, arg in ops:
        if op == "join":
            rig = Rig(extranonce_subscribed=bool(arg))
            slot = channel.claim(cast(ProxySession, rig), None)
            if slot is not None:
                rig.take(slot)
                rigs.append(rig)
        elif op == "leave" and rigs:
            rig = rigs.pop(int(str(arg)) % len(rigs))
            if not rig.gone:
                rig.gone = True
                channel.release(cast(ProxySession, rig))
        elif op == "rehome":
            extranonce1 += 0 if arg else 1
            scripted.connect(extranonce1.to_bytes(4, "big"), size, BRANCHED)
            for rig in rigs:
                if rig.gone:  # sent away: its connection closes, and the proxy forgets it
                    channel.release(cast(ProxySession, rig))
            rigs = [rig for rig in rigs if not rig.gone]
        check_no_two_coinbases_alike(scripted, rigs, e2)


@pytest.mark.parametrize("upstream_mask", [0x1FFFE000, 0x00006000])
async def test_version_bits_roll_within_the_upstream_grant_and_go_up(upstream_mask: int) -> None:
    async with (
        FakeUpstream(difficulty=UPSTREAM_DIFFICULTY, version_mask=upstream_mask) as pool,
        running_proxy(pool) as proxy,
    ):
        pool.refusing = True  # configure is answered before any upstream granted a mask
        miner = await proxy.miner()
        reply = await miner.call(
            1, "mining.configure", [["version-rolling"], {"version-rolling.mask": "ffffffff"}]
        )
        assert reply["result"]["version-rolling.mask"] == "1fffe000"
        pool.refusing = False
        subscribed = (await miner.call(2, "mining.subscribe", ["m/1.0"]))["result"]
        miner.extranonce1, miner.extranonce2_size = bytes.fromhex(subscribed[1]), subscribed[2]
        narrowed = [m["params"] for m in miner.notifications]
        assert narrowed == ([] if upstream_mask == 0x1FFFE000 else [[f"{upstream_mask:08x}"]])
        assert (await miner.call(3, "mining.authorize", ["acct.rig1", "x"]))["result"] is True
        miner.job = await miner.notify()
        upstream = await pool.session(0)
        bits = upstream_mask & -upstream_mask  # the lowest bit it may roll
        nonce = miner.nonce(UPSTREAM_DIFFICULTY, version_bits=bits)
        assert (await miner.submit(nonce, version_bits=bits))["result"] is True
        await pool.wait_for(lambda: len(upstream.submits) == 1)
        [share] = upstream.submits
        assert share.version_bits == f"{bits:08x}"
        e2 = bytes(miner.extranonce2_size)
        assert upstream_header(FIRST_JOB, upstream.extranonce1, share) == miner_header(
            miner.job, miner.extranonce1, e2, nonce, bits
        )
        await miner.close()
