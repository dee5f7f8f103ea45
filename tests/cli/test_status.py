"""``loka-stratum status`` against a live health server, an unreachable one and a stranger."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from prometheus_client import CollectorRegistry
from rich.console import Console

from loka_stratum import __version__
from loka_stratum.api import HealthServer
from loka_stratum.api.status_client import KeyFigures, StatusSnapshot, key_figures
from loka_stratum.cli import root
from loka_stratum.cli.status_cmd import health_url, status_table
from loka_stratum.config import HttpSettings
from loka_stratum.observability.exposition import render
from loka_stratum.observability.live import LiveStats
from loka_stratum.observability.metrics import Metrics
from loka_stratum.sources.base import SourceState
from tests.api.fakes import FakeApp, FakeDatabase, FakeSession, sqlite_engine

CLEAN_ENV: dict[str, str | None] = {"LOKA_CONFIG": None, "RUST_LOG": None, "LOKA_LOG": None}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    return CliRunner(env=CLEAN_ENV)


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[tuple[FakeApp, HealthServer]]:
    engine = sqlite_engine(tmp_path)
    app = FakeApp(database=FakeDatabase(engine), started_at=time.time() - 3_700.0)
    metrics = Metrics(CollectorRegistry(), version=__version__, mode="pool")
    metrics.port(3333).share_accepted(2.0)
    metrics.port(3333).share_rejected("duplicate")
    metrics.block_found("accepted")
    server = HealthServer(app, metrics, host="127.0.0.1", port=0, version=__version__)
    await server.start()
    yield app, server
    await server.stop()
    await engine.dispose()


async def invoke(runner: CliRunner, *args: str) -> Result:
    """Run the command in a thread: its blocking HTTP client must not stall our server."""
    return await asyncio.to_thread(runner.invoke, root, ["status", *args])


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_healthy_pool_prints_a_table_and_exits_0(
    runner: CliRunner, pool: tuple[FakeApp, HealthServer]
) -> None:
    app, server = pool
    app.context.sessions = [FakeSession(3333, {"w": object()})]
    result = await invoke(runner, "--url", server.url)
    assert result.exit_code == 0, result.output
    for text in ("healthy", "1h 1m", "1 active of 1000 max", "1 accepted, 1 rejected"):
        assert text in result.stdout
    assert "1 found, 0 rejected" in result.stdout
    windows = [result.stdout.index(f"({window})") for window in ("1m", "5m", "1h")]
    assert windows == sorted(windows)


async def test_json_output(runner: CliRunner, pool: tuple[FakeApp, HealthServer]) -> None:
    _, server = pool
    result = await invoke(runner, "--url", server.url, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["url"] == server.url
    assert body["health"]["status"] == "healthy"
    assert body["health"]["version"] == __version__
    assert body["figures"]["shares_accepted"] == 1.0
    assert body["figures"]["blocks_found"] == 1.0
    assert set(body["figures"]["hashrate"]) == {"1m", "5m", "1h"}


async def test_database_down_exits_1(runner: CliRunner, pool: tuple[FakeApp, HealthServer]) -> None:
    app, server = pool
    app.database.up = False
    result = await invoke(runner, "--url", server.url, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["health"]["status"] == "unhealthy"


async def test_degraded_exits_1(runner: CliRunner, pool: tuple[FakeApp, HealthServer]) -> None:
    app, server = pool
    app.source.state = SourceState.DEGRADED
    result = await invoke(runner, "--url", server.url)
    assert result.exit_code == 1
    assert "degraded" in result.stdout


async def test_url_comes_from_the_config(
    runner: CliRunner, tmp_path: Path, pool: tuple[FakeApp, HealthServer]
) -> None:
    _, server = pool
    config = tmp_path / "loka-stratum.toml"
    config.write_text(f'[http]\nhealth_host = "0.0.0.0"\nhealth_port = {server.port}\n')
    result = await invoke(runner, "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["url"] == f"http://127.0.0.1:{server.port}"


async def test_a_server_that_is_not_ours_exits_2(
    runner: CliRunner, pool: tuple[FakeApp, HealthServer]
) -> None:
    _, server = pool
    result = await invoke(runner, "--url", f"{server.url}/elsewhere")
    assert result.exit_code == 2
    assert "HTTP 404 without loka-stratum's health JSON" in result.stderr


def test_unreachable_exits_2_with_a_clear_message(runner: CliRunner) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    result = runner.invoke(root, ["status", "--url", url])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"cannot reach {url}/health: connection failed" in result.stderr
    assert "is the pool running there?" in result.stderr


def test_unreachable_json_names_the_error(runner: CliRunner) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    result = runner.invoke(root, ["status", "--url", url, "--json"])
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    assert body["url"] == url and "connection failed" in body["error"]


def test_invalid_config_exits_1_before_any_request(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[http]\nhealth_port = 99999\n")
    result = runner.invoke(root, ["status", "--config", str(config)])
    assert result.exit_code == 1
    assert "http.health_port" in result.stderr


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:9090"),
        ("0.0.0.0", "http://127.0.0.1:9090"),
        ("::", "http://[::1]:9090"),
        ("fd00::5", "http://[fd00::5]:9090"),
        ("health.internal", "http://health.internal:9090"),
    ],
)
def test_health_url(host: str, url: str) -> None:
    assert health_url(HttpSettings(health_host=host)) == url


def test_key_figures_sum_ports_and_reasons() -> None:
    metrics = Metrics(CollectorRegistry(), version=__version__, mode="pool")
    for port, accepted in ((3333, 3), (3334, 2)):
        for _ in range(accepted):
            metrics.port(port).share_accepted(1.0)
    metrics.port(3334).share_rejected("stale")
    metrics.port(3334).share_rejected("low-difficulty")
    metrics.block_found("accepted")
    metrics.block_found("rejected")
    metrics.set_live_source(lambda: LiveStats(hashrate={"1m": 5e6, "1h": 1e6}))
    figures = key_figures(render(metrics.registry).decode())
    assert figures == KeyFigures(
        shares_accepted=5.0,
        shares_rejected=2.0,
        blocks_found=1.0,
        blocks_rejected=1.0,
        hashrate={"1m": 5e6, "1h": 1e6},
    )


def test_table_says_when_metrics_were_unavailable() -> None:
    snapshot = StatusSnapshot("http://x:9090", {"status": "degraded", "services": {}}, None)
    console = Console(width=100, record=True)
    console.print(status_table(snapshot))
    text = console.export_text()
    assert "metrics unavailable" in text and "degraded" in text
