"""Endpoints from the `[pool]` settings, and the jittered exponential backoff."""

from __future__ import annotations

import random

import pytest
from pydantic import SecretStr

from loka_stratum.config.proxy import PoolSettings, Upstream
from loka_stratum.proxy.backoff import Backoff
from loka_stratum.proxy.endpoint import Endpoint, endpoints


def test_endpoints_are_enabled_upstreams_by_priority_with_default_credentials() -> None:
    settings = PoolSettings(
        username="acct",
        password=SecretStr("pw"),
        upstreams=(
            Upstream(name="b", url="stratum+ssl://[2001:db8::1]:443", priority=1),
            Upstream(name="off", url="stratum+tcp://off.example:1", enabled=False),
            Upstream(name="a", url="stratum+tcp://pool.example.com:3333", username="own"),
            Upstream(
                name="c", url="stratum+tcp://10.0.0.1:65535", priority=1, password=SecretStr("p2")
            ),
        ),
    )
    got = endpoints(settings)
    assert got == (
        Endpoint("a", "pool.example.com", 3333, False, "own", "pw"),
        Endpoint("b", "2001:db8::1", 443, True, "acct", "pw"),
        Endpoint("c", "10.0.0.1", 65535, False, "acct", "p2"),
    )
    assert got[1].address == "[2001:db8::1]:443"
    assert "pw" not in repr(got[0])
    assert "stratum+ssl://[2001:db8::1]:443" in repr(got[1])


def test_redirect_keeps_transport_and_credentials() -> None:
    endpoint = Endpoint("a", "pool.example.com", 3333, True, "u", "p")
    assert endpoint.redirected(None, None) == endpoint
    assert endpoint.redirected("other.example", 4444) == Endpoint(
        "a", "other.example", 4444, True, "u", "p"
    )


def test_backoff_doubles_with_jitter_up_to_the_maximum_and_resets() -> None:
    backoff = Backoff(1.0, 10.0, random.Random(7))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)
    assert backoff.failures == 8
    backoff.reset()
    assert backoff.ceiling() == 1.0


def test_backoff_rejects_bad_bounds() -> None:
    with pytest.raises(ValueError, match="minimum"):
        Backoff(2.0, 1.0)
