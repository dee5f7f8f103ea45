"""Running the real `loka-stratum` executable for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
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


OUTPUT = threading.Condition()
"""Notified on every line any `PoolProcess` writes, and when one exits: what the other
process does is only seen through its output, so waits re-check their condition then."""
_lines = [0]
"""Lines seen so far (guarded by `OUTPUT`): a wait notices output it did not sleep through."""


class PoolProcess:
    def __init__(self, config: Path, directory: Path) -> None:
        self.log_path = directory / "pool.log"
        self._log = self.log_path.open("wb")
        env = {key: value for key, value in os.environ.items() if not key.startswith("LOKA_")}
        self.process = subprocess.Popen(
            [str(BIN), "start", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=directory,
            env=env,
        )
        self._reader = threading.Thread(target=self._copy_output, daemon=True)
        self._reader.start()

    def _copy_output(self) -> None:
        """Copy the output to the log file line by line, notifying `OUTPUT` each time."""
        output = self.process.stdout
        assert output is not None
        with output:
            for line in output:
                self._log.write(line)
                self._log.flush()
                _seen_output()
        self._log.close()
        _seen_output()

    def wait_listening(self, port: int, timeout: float = 30.0) -> None:
        """Until the pool accepts connections on `port` (it logs when it starts listening)."""

        def listening_or_exited() -> bool:
            return self.process.poll() is not None or _accepts(port)

        wait_for(listening_or_exited, f"the pool to listen on {port}", timeout)
        if self.process.poll() is not None:
            raise RuntimeError(f"pool exited early:\n{self.log()}")

    def stop(self, timeout: float = 30.0) -> tuple[int, float]:
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._reader.join(timeout)
        return code, time.monotonic() - started

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def _seen_output() -> None:
    with OUTPUT:
        _lines[0] += 1
        OUTPUT.notify_all()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Until `condition` holds, re-checked whenever a pool process writes a line.

    The condition runs outside the lock (it may ask the pool over HTTP, and the pool
    must be free to write meanwhile); the line count taken before it makes sure output
    that arrives while it runs wakes the next wait at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        with OUTPUT:
            seen = _lines[0]
        if condition():
            return
        remaining = deadline - time.monotonic()
        with OUTPUT:
            if remaining <= 0 or not OUTPUT.wait_for(_after(seen), remaining):
                raise TimeoutError(f"timed out waiting for {what}")


def _after(seen: int) -> Callable[[], bool]:
    return lambda: _lines[0] != seen


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
