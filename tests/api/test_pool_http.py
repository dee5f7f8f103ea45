"""The real pool (`run_pool`: embedded chain, SQLite) serving health and metrics over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from loka_stratum import __version__
from loka_stratum.api import HealthServer
from loka_stratum.app.pool import PoolApp
from loka_stratum.app.proxy import ProxyApp
from loka_stratum.app.run import run_pool
from loka_stratum.config import Settings, load_config
from loka_stratum.storage.pgserver import PostgresServer

START_TIMEOUT = 60.0
CONNECTIONS_TOTAL = "loka_stratum_connections_total"
MANUAL_GREPS = (
    "loka_stratum_connections_total",
    "loka_stratum_connections_rate",
    "loka_stratum_connection_errors",
    "loka_stratum_shares_submitted",
    "loka_stratum_shares_accepted",
    "loka_stratum_jobs_distributed",
    "db_connections",
)


def pool_settings(directory: Path, database_url: str) -> Settings:
    path = directory / "loka-stratum.toml"
    path.write_text(
        f"""
[server]
host = "127.0.0.1"
port = 0

[http]
health_host = "127.0.0.1"
health_port = 0
api_port = 0

[embedded]
chain_file = "{directory}/chain.dat"

[database]
url = "{database_url}"
journal_dir = "{directory}/journal"
""",
        encoding="utf-8",
    )
    return load_config(path, {}).settings


@dataclass
class RunningPool:
    app: PoolApp
    health: HealthServer
    task: asyncio.Task[int]

    @property
    def stratum_port(self) -> int:
        return next(iter(self.app.server.bound.values()))


async def start_pool(directory: Path, database_url: str) -> RunningPool:
    started: asyncio.Future[PoolApp | ProxyApp] = asyncio.get_running_loop().create_future()
    servers: list[HealthServer] = []
    settings = pool_settings(directory, database_url)
    task = asyncio.create_task(
        run_pool(settings, on_started=started.set_result, on_http=servers.append)
    )
    waiters: set[asyncio.Future[Any]] = {started, task}
    done, _ = await asyncio.wait(
        waiters, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
    )
    if started not in done:
        task.cancel()
        pytest.fail(f"pool did not start: {task.exception() if task in done else 'timeout'}")
    app = started.result()
    assert isinstance(app, PoolApp)
    return RunningPool(app, servers[0], task)


async def stop_pool(running: RunningPool) -> None:
    if not running.task.done():
        os.kill(os.getpid(), signal.SIGTERM)  # run_pool's own handler: the graceful path
    assert await asyncio.wait_for(running.task, 30.0) == 0


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[RunningPool]:
    running = await start_pool(tmp_path, f"sqlite:///{tmp_path}/pool.db")
    yield running
    await stop_pool(running)


async def subscribe(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b'{"id":1,"method":"mining.subscribe","params":["health-test/1"]}\n')
    reply = orjson.loads(await asyncio.wait_for(reader.readline(), 10.0))
    assert reply["id"] == 1 and reply["error"] is None
    return reader, writer


async def test_health_ready_live_and_metrics_of_the_real_pool(pool: RunningPool) -> None:
    _, writer = await subscribe(pool.stratum_port)
    try:
        async with httpx.AsyncClient(base_url=pool.health.url, timeout=10.0) as client:
            health = await client.get("/health")
            ready = await client.get("/ready")
            live = await client.get("/live")
            metrics = await client.get("/metrics/prometheus")
    finally:
        writer.close()
        await writer.wait_closed()
    assert health.status_code == 200, health.text
    body = health.json()
    assert body["status"] == "healthy"
    assert body["version"] == __version__
    assert body["connections"]["active"] == 1 and body["connections"]["total"] == 1
    assert body["connections"]["max"] == pool.app.context.max_connections
    assert body["services"] == {
        "database": "healthy",
        "pool_connection": "healthy",
        "metrics": "healthy",
    }
    assert body["work_source"]["kind"] == "embedded" and body["work_source"]["height"] >= 1
    assert body["memory_usage"] > 10_000_000
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert live.status_code == 200
    assert metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = [
        sample
        for family in text_string_to_metric_families(metrics.text)
        for sample in family.samples
    ]
    port = str(pool.stratum_port)
    active = [s.value for s in samples if s.name == "loka_stratum_connections_active"]
    assert active == [1.0]
    connections = {s.labels["port"]: s.value for s in samples if s.name == CONNECTIONS_TOTAL}
    assert connections == {port: 1.0}
    lines = [line for line in metrics.text.splitlines() if not line.startswith("#")]
    for pattern in MANUAL_GREPS:
        assert any(pattern in line for line in lines), f"grep {pattern} finds nothing"


async def test_database_outage_makes_health_and_ready_503(
    tmp_path: Path, postgres_server: PostgresServer, postgres_url: str
) -> None:
    running = await start_pool(tmp_path, postgres_url)
    try:
        await asyncio.to_thread(postgres_server.stop, "fast")
        async with httpx.AsyncClient(base_url=running.health.url, timeout=10.0) as client:
            health = await client.get("/health")
            ready = await client.get("/ready")
            live = await client.get("/live")
    finally:
        if not postgres_server.running:
            await asyncio.to_thread(postgres_server.start)
        await stop_pool(running)
    assert health.status_code == 503, health.text
    assert health.json()["status"] == "unhealthy"
    assert health.json()["services"]["database"] == "unhealthy"
    assert health.json()["services"]["pool_connection"] == "healthy"
    assert ready.status_code == 503
    assert ready.json()["reasons"] == ["database does not answer"]
    assert live.status_code == 200
