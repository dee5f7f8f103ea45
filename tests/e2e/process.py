"""Running the real `loka-stratum` executable for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).with_name("loka-stratum")
ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(directory: Path, port: int, extra: str = "") -> Path:
    path = directory / "loka-stratum.toml"
    path.write_text(
        f"""
[server]
host = "127.0.0.1"
port = {port}

[stratum]
start_difficulty = 0.0001
min_difficulty = 0.0001

[vardiff]
enabled = false

[embedded]
network_difficulty = 0.0004
chain_file = "{directory}/chain.dat"

[database]
url = "sqlite:///{directory}/pool.db"
journal_dir = "{directory}/journal"

[http]
health_port = {free_port()}
api_port = {free_port()}

[logging]
format = "json"
{extra}
""",
        encoding="utf-8",
    )
    return path


class PoolProcess:
    def __init__(self, config: Path, directory: Path) -> None:
        self.log_path = directory / "pool.log"
        self._log = self.log_path.open("wb")
        env = {key: value for key, value in os.environ.items() if not key.startswith("LOKA_")}
        self.process = subprocess.Popen(
            [str(BIN), "start", "--config", str(config)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=directory,
            env=env,
        )

    def wait_listening(self, port: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pool exited early:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"pool never listened on {port}:\n{self.log()}")

    def stop(self, timeout: float = 30.0) -> tuple[int, float]:
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._log.close()
        return code, time.monotonic() - started

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Poll a condition on another process's output, with a deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


def run_cli(
    *args: str, timeout: float = 120.0, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOKA_")}
    return subprocess.run(
        [str(BIN), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )
