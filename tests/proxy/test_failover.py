"""`UpstreamPool`: failover, fail-back, reconnect with backoff, `client.reconnect`."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import pytest

from loka_stratum.config.proxy import PoolSettings, Upstream
from loka_stratum.proxy.backoff import Backoff
from loka_stratum.proxy.endpoint import Endpoint
from loka_stratum.proxy.failover import STABLE_AFTER, UpstreamPool
from loka_stratum.proxy.types import Disconnected, Switched, UpstreamOptions, VerdictKind
from loka_stratum.proxy.upstream import UpstreamConnection
from tests.proxy.fake_upstream import WAIT, FakeUpstream
from tests.proxy.helpers import Events, ManualSleep

OPTIONS = UpstreamOptions(connect_timeout=2.0, response_timeout=2.0)
FAILBACK = 300.0


def endpoint(name: str, pool: FakeUpstream) -> Endpoint:
    return Endpoint(name, "127.0.0.1", pool.port, False, "acct.proxy", "x")


@asynccontextmanager
async def running(
    endpoints: Sequence[Endpoint],
    sleep: ManualSleep,
    events: Events,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[UpstreamPool]:
    backoff = Backoff(1.0, 8.0, random.Random(5))
    pool = UpstreamPool(
        endpoints,
        OPTIONS,
        backoff=backoff,
        failback_interval=FAILBACK,
        on_event=events,
        clock=clock,
        sleep=sleep,
    )
    pool.start()
    try:
        yield pool
    finally:
        await pool.close()


async def connected(pool: UpstreamPool) -> UpstreamConnection:
    async with asyncio.timeout(WAIT):
        return await pool.wait_connected()


async def switched_to(events: Events, name: str) -> UpstreamConnection:
    while (event := await events.next(Switched)).connection.endpoint.name != name:
        pass
    return event.connection


async def test_submit_without_an_upstream_is_disconnected() -> None:
    async with FakeUpstream() as fake:
        pool = UpstreamPool(
            [endpoint("a", fake)], OPTIONS, backoff=Backoff(1.0, 2.0), failback_interval=FAILBACK
        )
        verdict = await pool.submit("acct.proxy", "job1", "00" * 8, "6553f100", "00000001")
        assert verdict.kind is VerdictKind.DISCONNECTED
        assert pool.health().upstream is None


async def test_primary_down_fails_over_then_fails_back_when_it_returns() -> None:
    sleep, events = ManualSleep(), Events()
    async with FakeUpstream() as primary, FakeUpstream() as secondary:
        primary.refusing = True
        ends = [endpoint("primary", primary), endpoint("secondary", secondary)]
        async with running(ends, sleep, events) as pool:
            conn = await connected(pool)
            assert conn.endpoint.name == "secondary"
            assert (await switched_to(events, "secondary")) is conn
            health = pool.health()
            assert (health.upstream, health.failovers, health.failbacks) == ("secondary", 1, 0)
            assert health.last_error is not None and health.last_error.startswith("primary")
            verdict = await pool.submit("acct.proxy", "job1", "00" * 8, "6553f100", "00000001")
            assert verdict.accepted
            age = pool.health().last_job_age
            assert age is not None and age >= 0

            delay, wake = await sleep.next()
            assert delay == FAILBACK
            wake.set_result(None)  # primary still refuses: stay on secondary
            delay, wake = await sleep.next()
            assert delay == FAILBACK
            assert primary.refused == 2
            primary.refusing = False
            wake.set_result(None)

            back = await switched_to(events, "primary")
            await conn.wait_closed()
            assert conn.close_reason == "failed back to primary"
            assert pool.current is back
            health = pool.health()
            assert (health.upstream, health.failovers, health.failbacks) == ("primary", 1, 1)
            assert not any(isinstance(e, Disconnected) for e in events.seen)


async def test_dropped_upstream_reconnects_with_jittered_backoff() -> None:
    sleep, events = ManualSleep(), Events()
    async with FakeUpstream() as fake, running([endpoint("a", fake)], sleep, events) as pool:
        first = await connected(pool)
        fake.refusing = True
        (await fake.session(0)).drop()
        assert (await events.next(Disconnected)).reason == "upstream closed the connection"
        assert pool.current is None
        delays = []
        for _ in range(3):
            delay, wake = await sleep.next()
            delays.append(delay)
            if len(delays) == 3:
                fake.refusing = False
            wake.set_result(None)
        assert 0.5 <= delays[0] <= 1.0
        assert 1.0 <= delays[1] <= 2.0
        assert 2.0 <= delays[2] <= 4.0
        second = await switched_to(events, "a")
        assert second is not first
        await fake.session(1)
        assert fake.refused == 2  # the first delay follows the short-lived connection
        assert pool.health().connections == 2
        assert pool.health().failovers == 0


async def test_a_stable_connection_that_drops_reconnects_at_once() -> None:
    now = [1000.0]
    sleep, events = ManualSleep(), Events()
    async with (
        FakeUpstream() as fake,
        running([endpoint("a", fake)], sleep, events, lambda: now[0]) as pool,
    ):
        first = await switched_to(events, "a")
        now[0] += STABLE_AFTER
        (await fake.session(0)).drop()
        second = await switched_to(events, "a")
        assert second is not first and pool.current is second
        await fake.session(1)


async def test_client_reconnect_goes_where_the_upstream_says() -> None:
    sleep, events = ManualSleep(), Events()
    async with FakeUpstream() as old, FakeUpstream() as new:
        endpoints = [endpoint("a", old)]
        async with running(endpoints, sleep, events) as pool:
            first = await switched_to(events, "a")
            (await old.session(0)).reconnect("127.0.0.1", new.port, 0)
            moved = await switched_to(events, "a")
            assert moved is not first and pool.current is moved
            assert (moved.endpoint.host, moved.endpoint.port) == ("127.0.0.1", new.port)
            await new.session(0)
            assert first.reconnect_request is not None
            assert pool.health().connections == 2


async def test_client_reconnect_without_a_target_reconnects_to_the_same_upstream() -> None:
    sleep, events = ManualSleep(), Events()
    async with FakeUpstream() as fake, running([endpoint("a", fake)], sleep, events) as pool:
        first = await switched_to(events, "a")
        (await fake.session(0)).reconnect(wait=7)
        delay, wake = await sleep.next()
        assert delay == 7
        assert fake.sessions[1:] == []
        wake.set_result(None)
        moved = await switched_to(events, "a")
        assert moved is not first and pool.current is moved
        assert moved.endpoint == first.endpoint
        await fake.session(1)


def test_pool_from_settings_takes_upstreams_timeouts_and_backoff() -> None:
    settings = PoolSettings(
        username="acct",
        connection_timeout=3.0,
        keepalive_interval=15.0,
        reconnect_backoff_min=2.0,
        reconnect_backoff_max=20.0,
        failback_interval=60.0,
        upstreams=(
            Upstream(name="b", url="stratum+tcp://b.example:3333", priority=1),
            Upstream(name="a", url="stratum+ssl://a.example:443"),
        ),
    )
    pool = UpstreamPool.from_settings(settings, UpstreamOptions(user_agent="ua"))
    assert [e.name for e in pool.endpoints] == ["a", "b"]
    assert pool.options == UpstreamOptions(
        user_agent="ua", connect_timeout=3.0, keepalive_interval=15.0
    )


def test_pool_needs_an_upstream() -> None:
    with pytest.raises(ValueError, match="no upstream"):
        UpstreamPool([], OPTIONS, backoff=Backoff(1.0, 2.0), failback_interval=FAILBACK)
