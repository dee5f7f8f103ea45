"""The per-IP limiter: strikes across reconnects, message rate, exempt networks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.bitcoin.network import REGTEST
from loka_stratum.mining.vardiff import VardiffPolicy
from loka_stratum.server.limits import IpLimits
from loka_stratum.server.policy import SessionPolicy
from tests.mining.builders import make_template
from tests.server.harness import Miner, find_share, start_pool, submit_params

HARD_BITS = 0x17034219


def policy(**limits: Any) -> SessionPolicy:
    return SessionPolicy(network=REGTEST, solo=False, vardiff=VardiffPolicy(), **limits)


def test_strikes_ban_only_within_the_window() -> None:
    limits = IpLimits(policy(ban_threshold=3, ban_window=10.0))
    assert not limits.strike("10.0.0.1", 0.0)
    assert not limits.strike("10.0.0.1", 5.0)
    assert not limits.strike("10.0.0.2", 6.0)  # another address counts apart
    assert not limits.strike("10.0.0.1", 11.0)  # the first strike has left the window
    assert limits.strike("10.0.0.1", 12.0)
    assert not limits.strike("10.0.0.1", 12.5)  # a ban starts the count afresh


@given(st.lists(st.floats(0, 1000), min_size=1, max_size=60))
def test_a_ban_needs_threshold_strikes_inside_one_window(times: list[float]) -> None:
    limits = IpLimits(policy(ban_threshold=4, ban_window=30.0))
    moments = sorted(times)
    banned_at = [t for t in moments if limits.strike("10.0.0.1", t)]
    for t in banned_at:
        assert sum(1 for other in moments if t - 30.0 < other <= t) >= 4


def test_message_rate_per_ip_and_window() -> None:
    limits = IpLimits(policy(rate_limit_per_ip=3, rate_limit_window=60.0))
    assert [limits.allow_message("10.0.0.1", 0.0) for _ in range(4)] == [True] * 3 + [False]
    assert limits.allow_message("10.0.0.2", 1.0)
    assert limits.allow_message("10.0.0.1", 60.0)  # a new window


def test_exempt_networks_are_never_limited_or_banned() -> None:
    limits = IpLimits(
        policy(rate_limit_per_ip=1, ban_threshold=1, exempt_networks=("10.1.0.0/16", "::1/128"))
    )
    assert all(limits.allow_message("10.1.2.3", 0.0) for _ in range(5))
    assert not limits.strike("10.1.2.3", 0.0) and not limits.strike("::1", 0.0)
    assert limits.strike("10.2.0.1", 0.0)
    assert not limits.exempt("not-an-ip")


async def test_garbage_over_several_connections_still_bans_the_ip() -> None:
    pool = await start_pool(make_template(bits=HARD_BITS), ban_threshold=3, ban_window=300.0)
    try:
        for lines in (1, 1):  # strike, leave, strike, leave: reconnects must not reset it
            miner = await Miner.connect(pool.port)
            await miner.send_raw(b'{"id": 1, "method": 7}\n' * lines)
            await miner.response(1)  # the error answer: the strike has been counted
            await miner.close()
        last = await Miner.connect(pool.port)
        await last.send_raw(b"garbage\n")
        assert await last.closed_by_pool()
        await last.close()
        again = await Miner.connect(pool.port)
        with pytest.raises(ConnectionError):
            await again.read()
        await again.close()
    finally:
        await pool.server.stop()


async def test_messages_over_the_rate_get_an_error_and_are_not_processed() -> None:
    pool = await start_pool(make_template(bits=HARD_BITS), rate_limit_per_ip=3)
    try:
        miner = await Miner.connect(pool.port)
        answers = [await miner.call(n, "mining.extranonce.subscribe", []) for n in range(4)]
        assert [a["result"] for a in answers[:3]] == [True, True, True]
        assert answers[3]["result"] is None and answers[3]["error"][0] == 20
        assert "Rate limit" in answers[3]["error"][1]
        await miner.close()
    finally:
        await pool.server.stop()


async def test_shares_are_never_rate_limited() -> None:
    pool = await start_pool(make_template(bits=HARD_BITS), rate_limit_per_ip=2)
    try:
        miner = await Miner.connect(pool.port)
        notify = await miner.handshake("acct.rig", configure=False)  # the two allowed
        for n in range(5):  # a fast miner: judged by validity, not by rate
            nonce = find_share(notify, miner.extranonce1, miner.difficulty, start_nonce=n * 50)
            reply = await miner.call(
                10 + n, "mining.submit", submit_params(notify, "acct.rig", nonce)
            )
            assert reply["error"] is None or reply["error"][0] != 20, reply
        third = await miner.call(99, "mining.extranonce.subscribe", [])
        assert third["error"][0] == 20
        await miner.close()
    finally:
        await pool.server.stop()
