"""The operations manual, run against the real `loka-stratum` process.

Each test starts the executable, mines on it with `loka-stratum client` and
runs what the manual's operator would: curl-equivalent GETs of the health
surface, the metrics greps, `status`, the `config` verbs, `start --dry-run`,
`kill -HUP` (live reload, a bad file rejected), `kill -USR1` after a rotation
and `kill -TERM` with miners connected (exit 0 in time, shares flushed).
"""

from __future__ import annotations

import shutil
import signal
import socket
import sqlite3
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.process import BIN, PoolProcess, free_port, run_cli, wait_for

ADMIN_TOKEN = "ops-manual-admin-token-0123456789"
CONTRACT_GREPS = (
    "loka_stratum_connections_total",
    "loka_stratum_connections_rate",
    "loka_stratum_connection_errors",
    "loka_stratum_shares_submitted",
    "loka_stratum_shares_accepted",
    "loka_stratum_jobs_distributed",
    "db_connections",
)


@dataclass
class Pool:
    directory: Path
    port: int
    health_port: int
    config: Path
    process: PoolProcess

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.health_port}"

    def write(self, knobs: Knobs) -> None:
        self.config.write_text(config_text(self.directory, self.health_port, knobs), "utf-8")

    def reload(self, knobs: Knobs | str, expect: str) -> dict[str, Any]:
        """Write the config (or raw text), `kill -HUP`, wait for the `expect` log record."""
        before = len(self.records(expect))
        if isinstance(knobs, str):
            self.config.write_text(knobs, encoding="utf-8")
        else:
            self.write(knobs)
        self.process.process.send_signal(signal.SIGHUP)
        wait_for(lambda: len(self.records(expect)) > before, expect)
        return self.records(expect)[-1]

    def records(self, message: str) -> list[dict[str, Any]]:
        return [r for r in json_lines(self.log()) if r["message"] == message]

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def health(self) -> dict[str, Any]:
        return dict(orjson.loads(self.get("/health")[1]))

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples called `name` whose labels include `labels`."""
        text = self.get("/metrics/prometheus")[1].decode()
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        )

    def log(self) -> str:
        return read(self.directory / "app.log")


@dataclass(frozen=True)
class Knobs:
    """The keys the reload tests change: live ones and one that needs a restart."""

    port: int
    max_connections: int = 0
    per_ip: int = 256
    vardiff_min: float = 0.0001
    extra: str = ""


def config_text(directory: Path, health_port: int, knobs: Knobs) -> str:
    return f"""
[server]
host = "127.0.0.1"
port = {knobs.port}
max_connections = {knobs.max_connections}

[stratum]
start_difficulty = 0.0001
min_difficulty = 0.0001

[vardiff]
enabled = false
min_difficulty = {knobs.vardiff_min}

[embedded]
network_difficulty = 0.0004
chain_file = "{directory}/chain.dat"

[database]
url = "sqlite:///{directory}/pool.db"
journal_dir = "{directory}/journal"
flush_interval = "200ms"

[limiter]
connections = {knobs.per_ip}

[http]
health_port = {health_port}
api_port = 0
admin_token = "{ADMIN_TOKEN}"

[logging]
format = "json"
file = "{directory}/app.log"

[performance]
report_interval = "1s"
{knobs.extra}
"""


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[Pool]:
    port, health_port = free_port(), free_port()
    config = tmp_path / "loka-stratum.toml"
    config.write_text(config_text(tmp_path, health_port, Knobs(port)), encoding="utf-8")
    running = Pool(tmp_path, port, health_port, config, PoolProcess(config, tmp_path))
    running.process.wait_listening(port)
    yield running
    running.process.stop()


def mine(pool: Pool, seconds: float, shares: int | None = None) -> subprocess.Popen[bytes]:
    args = ["client", "--host", "127.0.0.1", "--port", str(pool.port)]
    args += ["--duration", str(seconds)]
    if shares is not None:
        args += ["--shares", str(shares)]
    return subprocess.Popen([str(BIN), *args], stdout=subprocess.DEVNULL)


def read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def json_lines(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_health_metrics_status_and_performance(pool: Pool) -> None:
    miner = mine(pool, 60, shares=20)
    assert miner.wait(90) == 0
    for path in ("/health", "/ready", "/live", "/metrics", "/metrics/prometheus"):
        assert pool.get(path)[0] == 200, path  # curl -f
    health = pool.health()
    assert health["status"] == "healthy"
    assert set(health) >= {"uptime", "version", "connections", "services", "memory_usage"}
    exposition = pool.get("/metrics/prometheus")[1].decode()
    for grep in CONTRACT_GREPS:
        assert any(grep in line for line in exposition.splitlines() if not line.startswith("#"))
    check_exposition(exposition)
    assert pool.metric("loka_stratum_shares_accepted_total", port=str(pool.port)) >= 20
    assert pool.metric("loka_stratum_share_difficulty_total") > 0
    assert pool.metric("loka_stratum_submit_seconds_count") >= 20
    assert pool.metric("loka_stratum_jobs_distributed_total") >= 1
    assert pool.metric("loka_stratum_job_broadcast_seconds_count") >= 1
    assert pool.metric("loka_stratum_blocks_found_total", result="accepted") >= 1
    wait_for(lambda: pool.metric("loka_stratum_db_flush_seconds_count") > 0, "a flush")
    table = run_cli("status", "--url", pool.url)
    assert table.returncode == 0 and "healthy" in table.stdout, table.stdout + table.stderr
    status = run_cli("status", "--url", pool.url, "--json")
    assert status.returncode == 0 and orjson.loads(status.stdout)
    wait_for(lambda: '"target":"performance"' in pool.log(), "a performance record")
    (record, *_) = [r for r in json_lines(pool.log()) if r["target"] == "performance"]
    assert record["message"] == "Performance report"
    assert set(record["metrics"]) >= {"submits_per_second", "submit_p99_ms", "rss_bytes"}


def check_exposition(text: str) -> None:
    """prometheus_client's parser always; `promtool check metrics` too where it is installed."""
    families = list(text_string_to_metric_families(text))
    assert len({family.name for family in families}) == len(families)
    promtool = shutil.which("promtool")
    if promtool is not None:
        checked = subprocess.run(
            [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_sighup_reloads_with_miners_connected(pool: Pool) -> None:
    miner = mine(pool, 40)
    accepted = "loka_stratum_shares_accepted_total"
    wait_for(lambda: pool.metric(accepted) >= 5, "first shares")
    connections = pool.metric("loka_stratum_connections_total")
    before = (pool.metric(accepted), pool.metric("loka_stratum_share_difficulty_total"))

    live = Knobs(pool.port, max_connections=50, per_ip=1, vardiff_min=0.0002)
    reloaded = pool.reload(live, "Configuration reloaded")
    assert set(reloaded["fields"]["changed"]) == {
        "server.max_connections",
        "limiter.connections",
        "vardiff.min_difficulty",
    }
    assert pool.health()["connections"]["max"] == 50

    def credited_above_old_difficulty() -> bool:
        shares = pool.metric(accepted) - before[0]
        credited = pool.metric("loka_stratum_share_difficulty_total") - before[1]
        return shares >= 3 and credited > shares * 0.0001 * 1.01

    wait_for(credited_above_old_difficulty, "shares at the reloaded minimum difficulty")
    assert pool.metric("loka_stratum_connections_total") == connections  # nobody reconnected
    assert pool.health()["connections"]["active"] == 1
    with socket.create_connection(("127.0.0.1", pool.port), timeout=5):
        refused = "loka_stratum_connection_errors_total"
        wait_for(lambda: pool.metric(refused, error_type="per-ip-limit") == 1, "per-IP refusal")

    rejected = pool.reload("[server]\nport = 'not a port'\n", "Configuration rejected")
    assert rejected["level"] == "ERROR" and rejected["fields"]["error_type"] == "invalid_config"
    assert pool.health()["connections"]["max"] == 50

    restart = pool.reload(Knobs(free_port(), 50, 1, 0.0002), "Configuration change needs a restart")
    assert restart["fields"]["keys"] == ["server.port"]
    still = pool.metric(accepted)
    wait_for(lambda: pool.metric(accepted) > still, "shares after the reloads")

    code, seconds = pool.process.stop()  # kill -TERM with the miner connected
    assert code == 0 and seconds < 30, pool.log()
    miner.wait(30)
    stopped = pool.records("Pool stopped")[-1]
    with sqlite3.connect(pool.directory / "pool.db") as db:
        stored = db.execute("SELECT COUNT(*) FROM shares").fetchone()[0]
    assert stored == stopped["fields"]["shares_accepted"] > 0
    assert ADMIN_TOKEN not in pool.log() + pool.process.log()


def test_usr1_reopens_the_rotated_log_and_term_flushes(pool: Pool) -> None:
    assert mine(pool, 60, shares=10).wait(90) == 0
    log_file = pool.directory / "app.log"
    log_file.rename(pool.directory / "app.log.1")  # logrotate
    pool.process.process.send_signal(signal.SIGUSR1)  # its postrotate
    wait_for(lambda: "Log files reopened" in read(log_file), "a fresh app.log")
    assert "Pool started" in read(pool.directory / "app.log.1")
    code, seconds = pool.process.stop()
    assert code == 0 and seconds < 30
    (stopped,) = pool.records("Pool stopped")
    with sqlite3.connect(pool.directory / "pool.db") as db:
        stored = db.execute("SELECT COUNT(*) FROM shares").fetchone()[0]
    assert stored == stopped["fields"]["shares_accepted"] >= 10


def test_config_verbs_and_dry_run(tmp_path: Path) -> None:
    config = tmp_path / "loka-stratum.toml"
    config.write_text(config_text(tmp_path, free_port(), Knobs(free_port())), encoding="utf-8")
    validated = run_cli("config", "validate", "--config", str(config))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    shown = run_cli("config", "show", "--config", str(config))
    assert shown.returncode == 0 and "health_port" in shown.stdout
    assert ADMIN_TOKEN not in shown.stdout + shown.stderr
    example = tmp_path / "example.toml"
    assert run_cli("config", "generate", "--output", str(example)).returncode == 0
    assert run_cli("config", "validate", "--config", str(example)).returncode == 0
    config.write_text(read(config).replace("max_connections = 0", "max_connections = -5"))
    invalid = run_cli("config", "validate", "--config", str(config))
    assert invalid.returncode != 0 and "server.max_connections" in invalid.stdout + invalid.stderr
    config.write_text(config_text(tmp_path, free_port(), Knobs(free_port())), encoding="utf-8")
    dry = run_cli("start", "--config", str(config), "--dry-run")
    assert dry.returncode == 0 and "ready" in dry.stdout, dry.stdout + dry.stderr
