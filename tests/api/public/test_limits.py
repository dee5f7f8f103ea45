"""Protection modes as policies, and the per-IP request limit of the public port."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import httpx
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from loka_stratum.api.public import (
    ProtectionControl,
    ProtectionMode,
    RateLimit,
    create_public_app,
    protected_policy,
)
from loka_stratum.api.public.ratelimit import TokenBuckets
from loka_stratum.observability.metrics import Metrics
from loka_stratum.server.registry import ServerContext
from loka_stratum.storage.shares import ShareRecord
from tests.api.public.stand_in import StandInContext, stand_in_pool_async


@given(per_ip=st.integers(0, 10_000), threshold=st.integers(1, 1000))
def test_each_mode_is_at_least_as_strict_as_the_one_below(per_ip: int, threshold: int) -> None:
    normal = dataclasses.replace(
        StandInContext().policy, max_connections_per_ip=per_ip, ban_threshold=threshold
    )
    modes = [protected_policy(normal, mode) for mode in ProtectionMode]
    assert modes[0] is normal
    for looser, stricter in itertools.pairwise(modes):
        assert stricter.ban_threshold <= looser.ban_threshold
        assert stricter.handshake_timeout <= looser.handshake_timeout
        if per_ip == 0:
            assert stricter.max_connections_per_ip == 0  # no cap stays no cap
        else:
            assert 1 <= stricter.max_connections_per_ip <= looser.max_connections_per_ip


class _NoShares:
    def record(self, share: ShareRecord) -> None:
        raise AssertionError("no shares in this test")


def test_a_reload_keeps_the_mode_on_top_of_the_new_limits() -> None:
    context = ServerContext(
        policy=StandInContext().policy,
        shares=_NoShares(),
        metrics=Metrics(CollectorRegistry(), version="test", mode="pool"),
        max_connections=10,
    )
    control = ProtectionControl(context)
    control.set_mode(ProtectionMode.EMERGENCY, by="test")
    assert context.policy.ban_threshold == 1
    reloaded = dataclasses.replace(context.normal_policy, ban_threshold=40, ban_duration=30.0)
    context.set_policy(reloaded)  # what a SIGHUP reload does
    assert control.mode is ProtectionMode.EMERGENCY
    assert context.policy.ban_threshold == 1 and context.bans.duration == 30.0
    control.set_mode(ProtectionMode.ELEVATED, by="test")
    assert context.policy.ban_threshold == 20
    control.set_mode(ProtectionMode.NORMAL, by="test")
    assert context.policy is reloaded


def test_buckets_refill_at_the_rate() -> None:
    buckets = TokenBuckets(RateLimit(rate=2.0, burst=3))
    assert [buckets.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a", 0.0) == 0.5
    assert buckets.take("b", 0.0) == 0.0  # per address
    assert buckets.take("a", 0.5) == 0.0


def test_a_full_table_forgets_idle_clients_first() -> None:
    buckets = TokenBuckets(RateLimit(rate=1.0, burst=2, max_clients=2))
    buckets.take("idle", 0.0)
    buckets.take("busy", 10.0)
    buckets.take("busy", 10.0)
    assert buckets.take("new", 10.0) == 0.0
    assert buckets.take("busy", 10.0) > 0.0  # still remembered


async def test_over_the_limit_is_429_json(tmp_path: Path) -> None:
    pool = await stand_in_pool_async(tmp_path)
    app = create_public_app(
        pool, ProtectionControl(pool.context), version="t", rate_limit=RateLimit(0.001, 2)
    )
    transport = httpx.ASGITransport(app=app, client=("10.0.0.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        codes = [(await client.get("/api/v1/algorithms")).status_code for _ in range(3)]
        limited = await client.get("/api/v1/algorithms")
    await pool.database.engine.dispose()
    assert codes == [200, 200, 429]
    assert limited.json()["error"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
