"""monitor.sh, the image's health check and restore.sh's guard against a real running pool.

One pool process serves the whole module; a closed port and a small HTTP server that
answers like an unhealthy pool cover the failures a live pool will not produce on demand.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import threading
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.deploy.dockerfile import healthcheck_command
from tests.deploy.files import SCRIPTS
from tests.e2e.process import BIN, PoolProcess, free_port, wait_for, write_config

MONITOR = SCRIPTS / "monitor.sh"
RESTORE = SCRIPTS / "restore.sh"
EXIT_WARNING, EXIT_CRITICAL = 1, 2


@dataclass(frozen=True, slots=True)
class Pool:
    health: str

    def answers(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.health + path, timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    directory = tmp_path_factory.mktemp("pool")
    port = free_port()
    config = write_config(directory, port)
    health_port = tomllib.loads(config.read_text("utf-8"))["http"]["health_port"]
    process = PoolProcess(config, directory)
    try:
        process.wait_listening(port)
        running = Pool(f"http://127.0.0.1:{health_port}")
        wait_for(lambda: running.answers("/ready"), "the pool to be ready")
        yield running
    finally:
        process.stop()


def run(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": f"{BIN.parent}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.run(
        [str(script), *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def monitor(health: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run(
        MONITOR, HEALTH_URL=f"{health}/health", METRICS_URL=f"{health}/metrics/prometheus", **env
    )


def test_healthy_pool_is_ok(pool: Pool, tmp_path: Path) -> None:
    log = tmp_path / "health.log"
    done = monitor(pool.health, LOG_FILE=str(log))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("OK: status healthy, version ")
    assert log.read_text("utf-8").rstrip().endswith(done.stdout.rstrip())


def test_thresholds_turn_into_warnings(pool: Pool) -> None:
    done = monitor(pool.health, MAX_MEMORY_MB="1", MAX_CONNECTION_PERCENT="90")
    assert done.returncode == EXIT_WARNING
    assert done.stdout.startswith("WARNING: memory ")
    assert "over MAX_MEMORY_MB=1" in done.stdout


def test_closed_port_is_critical() -> None:
    done = monitor(f"http://127.0.0.1:{free_port()}")
    assert done.returncode == EXIT_CRITICAL
    assert done.stdout.startswith("CRITICAL: cannot reach http://127.0.0.1:")


def test_an_answer_that_is_not_a_health_report_is_critical(pool: Pool) -> None:
    done = run(MONITOR, HEALTH_URL=f"{pool.health}/metrics", METRICS_URL=f"{pool.health}/metrics")
    assert done.returncode == EXIT_CRITICAL
    assert "answered HTTP 200 without a health report" in done.stdout


class _Unhealthy(BaseHTTPRequestHandler):
    """Answers /health as a pool whose database is down does (503, services named)."""

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "status": "unhealthy",
                "version": "t",
                "uptime": "1m",
                "connections": {"active": 0, "total": 0, "max": 100},
                "services": {
                    "database": "unhealthy",
                    "pool_connection": "healthy",
                    "metrics": "healthy",
                },
                "memory_usage": 1,
                "cpu_usage": 0.0,
            }
        ).encode()
        self.send_response(503 if self.path == "/health" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the script's output, not the server's."""


def test_unhealthy_pool_is_critical_and_names_the_service() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unhealthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        done = monitor(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert done.returncode == EXIT_CRITICAL
    assert "CRITICAL: status unhealthy (HTTP 503): database=unhealthy" in done.stdout
    assert "WARNING: metrics endpoint" in done.stdout


def test_image_health_check_passes_on_a_pool_and_fails_without_one(pool: Pool) -> None:
    command = healthcheck_command()
    port = pool.health.rsplit(":", 1)[1]
    python = str(BIN.with_name("python"))
    live = subprocess.run([python, *command[1:-1], command[-1].replace("9090", port)], check=False)
    assert command[0] == "python"
    assert live.returncode == 0
    dead = subprocess.run(
        [python, *command[1:-1], command[-1].replace("9090", str(free_port()))],
        capture_output=True,
        check=False,
    )
    assert dead.returncode != 0


def test_restore_refuses_while_a_pool_runs(pool: Pool, tmp_path: Path) -> None:
    backup = tmp_path / "loka-stratum-x.sqlite3.gz"
    backup.write_bytes(gzip.compress(b""))
    database = tmp_path / "untouched.db"
    done = run(
        RESTORE, str(backup), DATABASE_URL=f"sqlite:///{database}", HEALTH_URL=f"{pool.health}/live"
    )
    assert done.returncode == 1
    assert "a pool is running" in done.stderr
    assert not database.exists()
