"""A throwaway PostgreSQL server in a temporary directory.

The test suite, the share-persistence benchmark and developers without a system
PostgreSQL all need the same thing: a real server, on a free loopback port, that
belongs to nobody else and vanishes afterwards. It lives in the package (not in
tests/) so the benchmark can import it from an installed tree.

PostgreSQL refuses to run as root, so when we are root every server binary runs
as the ``postgres`` user through ``runuser`` and the data directory is handed to
that user. The unix socket goes inside the data directory's parent, never in
/var/run, so two servers never collide.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

StopMode = Literal["smart", "fast", "immediate"]

_SEARCH_GLOB = "/usr/lib/postgresql/*/bin"
_SERVER_USER = "postgres"


class PostgresNotFoundError(RuntimeError):
    """No ``initdb``/``pg_ctl`` on PATH or under /usr/lib/postgresql/*/bin."""


def find_bin_dir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``; newest version wins."""
    on_path = shutil.which("pg_ctl")
    if on_path is not None and shutil.which("initdb") is not None:
        return Path(on_path).resolve().parent
    candidates = sorted(
        (Path(d) for d in glob.glob(_SEARCH_GLOB) if (Path(d) / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise PostgresNotFoundError("initdb/pg_ctl not found on PATH or in " + _SEARCH_GLOB)
    return candidates[-1]


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(slots=True)
class PostgresServer:
    """One private cluster: ``start()``, ``create_database()``, ``stop()``, ``cleanup()``.

    ``fsync`` off makes tests fast; the benchmark keeps it on to measure honestly.
    """

    fsync: bool = False
    bin_dir: Path = field(default_factory=find_bin_dir)
    port: int = field(default_factory=free_port)
    base_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="loka-pg-")))
    _initialized: bool = False
    _running: bool = False

    @property
    def running(self) -> bool:
        """Whether the last ``start``/``stop`` left it running."""
        return self._running

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "sock"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{_SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Initialise on first use, then start and wait until it accepts connections."""
        if not self._initialized:
            self._initdb()
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
            f" -c fsync={'on' if self.fsync else 'off'} -c max_connections=200"
        )
        log = self.base_dir / "server.log"
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(log), "-o", options, "start", "-w")
        self._running = True

    def stop(self, mode: StopMode = "fast") -> None:
        """``immediate`` is a crash: no checkpoint, clients cut off mid-statement."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "stop", "-w")
        self._running = False

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", _SERVER_USER, name)
        return self.url(name)

    def cleanup(self) -> None:
        """Remove the whole temporary tree (the server must be stopped)."""
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def _initdb(self) -> None:
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam(_SERVER_USER)
            for path in (self.base_dir, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
        # --no-sync: the cluster is thrown away afterwards; initdb's fsync only costs time.
        self._run(
            "initdb",
            *("-D", str(self.data_dir), "-A", "trust", "-U", _SERVER_USER),
            *("-E", "UTF8", "--locale=C", "--no-sync"),
        )
        self._initialized = True

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", _SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}")
