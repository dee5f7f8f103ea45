"""CachedCheck: cached for ttl, one probe in flight, failures and hangs count as down."""

from __future__ import annotations

import asyncio

from loka_stratum.api.checks import CachedCheck


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Probe:
    def __init__(self, result: bool = True) -> None:
        self.result = result
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def __call__(self) -> bool:
        self.calls += 1
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        return self.result


async def test_result_is_cached_for_ttl() -> None:
    clock, probe = Clock(), Probe()
    check = CachedCheck(probe, ttl=1.5, clock=clock)
    assert await check() is True
    probe.result = False
    clock.now += 1.4
    assert await check() is True
    clock.now += 0.1
    assert await check() is False
    assert probe.calls == check.probes == 2


async def test_concurrent_callers_share_one_probe() -> None:
    probe = Probe()
    probe.gate = asyncio.Event()
    check = CachedCheck(probe, clock=Clock())
    waiters = [asyncio.create_task(check()) for _ in range(50)]
    await probe.entered.wait()
    probe.gate.set()
    assert await asyncio.gather(*waiters) == [True] * 50
    assert probe.calls == 1


async def test_raising_probe_is_down() -> None:
    async def broken() -> bool:
        raise ConnectionRefusedError("no database")

    assert await CachedCheck(broken)() is False


async def test_hung_probe_is_down_within_the_limit() -> None:
    probe = Probe()
    probe.gate = asyncio.Event()
    check = CachedCheck(probe, limit=0.05)
    assert await asyncio.wait_for(check(), 5.0) is False
