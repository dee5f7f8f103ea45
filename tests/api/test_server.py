"""HealthServer over real HTTP on 127.0.0.1: port 0, bind errors, live metrics, clean stop."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from loka_stratum import __version__
from loka_stratum.api import HealthServer
from loka_stratum.api.server import bind_socket
from loka_stratum.observability.metrics import Metrics
from tests.api.fakes import FakeApp, FakeSession


@pytest.fixture
async def server(fake_app: FakeApp, metrics: Metrics) -> AsyncIterator[HealthServer]:
    health = HealthServer(fake_app, metrics, host="127.0.0.1", port=0, version=__version__)
    await health.start()
    yield health
    await health.stop()


async def test_binds_port_zero_and_answers(server: HealthServer) -> None:
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"
    async with httpx.AsyncClient(base_url=server.url) as client:
        health = await client.get("/health")
        live = await client.get("/live")
    assert health.status_code == 200 and health.json()["status"] == "healthy"
    assert live.status_code == 200


async def test_start_registers_the_live_metrics(server: HealthServer, fake_app: FakeApp) -> None:
    fake_app.context.sessions = [FakeSession(3333)]
    async with httpx.AsyncClient(base_url=server.url) as client:
        text = (await client.get("/metrics/prometheus")).text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    active = families["loka_stratum_connections_active"].samples
    assert [(s.labels, s.value) for s in active] == [({"port": "3333"}, 1.0)]
    assert "loka_stratum_connections" in families  # loka_stratum_connections_total, as grepped


async def test_port_in_use_fails_start(fake_app: FakeApp, metrics: Metrics) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        health = HealthServer(fake_app, metrics, host="127.0.0.1", port=port, version="x")
        with pytest.raises(OSError, match="in use"):
            await health.start()
    await health.stop()


async def test_stop_closes_the_listener_and_open_keepalive_connections(
    fake_app: FakeApp, metrics: Metrics
) -> None:
    health = HealthServer(fake_app, metrics, host="127.0.0.1", port=0, version=__version__)
    await health.start()
    async with httpx.AsyncClient(base_url=health.url) as client:
        assert (await client.get("/live")).status_code == 200
        await asyncio.wait_for(health.stop(), 10.0)
        with pytest.raises(httpx.ConnectError):
            await client.get("/live", headers={"connection": "close"})


def test_bind_socket_ipv6_loopback() -> None:
    try:
        sock = bind_socket("::1", 0)
    except OSError as exc:
        pytest.fail(f"IPv6 loopback unavailable here: {exc}")
    with sock:
        assert sock.family == socket.AF_INET6
        assert sock.getsockname()[1] > 0


async def test_uvicorn_configures_no_logger(fake_app: FakeApp, metrics: Metrics) -> None:
    access = logging.getLogger("uvicorn.access")
    before = (access.propagate, list(access.handlers), access.level)
    health = HealthServer(fake_app, metrics, host="127.0.0.1", port=0, version=__version__)
    await health.start()
    await health.stop()
    assert (access.propagate, list(access.handlers), access.level) == before
    assert access.propagate is True
