"""The client against a real (small) pool on loopback: every share is re-hashed by the pool."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loka_stratum.client import ClientOptions, EndReason, ExitCode, mine

from .pool import LoopbackPool

MASK = 0x1FFFE000


def options(port: int, **overrides: Any) -> ClientOptions:
    """Bounded runs: 30 s at most, 3 shares by default, short waits for answers."""
    base = ClientOptions("127.0.0.1", port, duration=30.0, shares=3, response_timeout=5.0)
    return replace(base, **overrides)


async def test_mines_valid_shares_that_the_pool_accepts() -> None:
    async with LoopbackPool(difficulty=0.0001) as pool:
        report = await mine(options(pool.port), notice=lambda _: None)
    assert report.exit_code is ExitCode.PASS, report.to_json()
    assert report.end_reason is EndReason.SHARES
    assert report.accepted == 3
    assert len(pool.valid_shares()) == len(pool.shares) == report.submitted
    assert report.extranonce1 == pool.conns[0].extranonce1
    assert report.extranonce2_size == 4
    assert report.version_mask == MASK
    assert report.difficulties == [0.0001]
    assert report.jobs == 1
    assert report.hashes > 0
    assert report.hashrate > 0
    for share in pool.shares:
        bits = share.submit.version_bits
        assert bits is not None and int(bits, 16) & ~MASK == 0
        assert share.submit.worker == "loka-test.worker1"
