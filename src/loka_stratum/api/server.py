"""Serving the health app with uvicorn inside the pool's own event loop.

uvicorn runs as a task beside the stratum listener, not as a process or
thread of its own, so handlers read the pool's state directly. What a
stand-alone uvicorn does and an embedded one must not:

- signals: the pool owns SIGTERM/SIGINT and stops this server itself, so
  `capture_signals` is a no-op here;
- logging: uvicorn configures no logger (not even `uvicorn.access`), its
  records go through our pipeline; its access log is off
  (`access_log.AccessLog` logs requests at debug instead);
- binding: we bind the socket ourselves before the task starts, so a port
  in use fails `start()` at once with the OSError, and the bound port (the
  configured one, or the kernel's pick for port 0) is known immediately.
  Connections that arrive before uvicorn's first loop turn wait in the
  listen backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette

from loka_stratum.api.health import create_health_app
from loka_stratum.api.live_stats import live_source
from loka_stratum.api.report import HealthReporter
from loka_stratum.api.subject import HealthSubject
from loka_stratum.observability.loggers import get_logger
from loka_stratum.observability.metrics import Metrics

log = get_logger("loka_stratum.api")

GRACEFUL_SHUTDOWN = 2
"""Seconds open requests get to finish when the server stops."""
BACKLOG = 128


class _EmbeddedConfig(uvicorn.Config):
    def configure_logging(self) -> None:
        """Leave every logger alone: with `access_log=False` uvicorn would otherwise cut
        `uvicorn.access` off the root logger for the whole process."""


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening, non-blocking TCP socket on `host:port` (IPv4 or IPv6 literal or name)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class EmbeddedHttp:
    """One ASGI app served by uvicorn on `host:port` inside the running event loop."""

    name = "http"
    """The server task's name."""
    label = "HTTP"
    """How log lines name this server."""

    def __init__(self, app: Starlette, *, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        """The configured port until `start()`, then the bound one."""
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind (raising OSError if that fails), then serve."""
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._before_serving()
        config = _EmbeddedConfig(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            ws="none",
            server_header=False,
            proxy_headers=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        )
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve([sock]), name=self.name)
        self._task.add_done_callback(self._ended)
        log.info(f"{self.label} listening", host=self.host, port=self.port)

    def _before_serving(self) -> None:
        """Hook: what must be in place before the first request."""

    async def stop(self) -> None:
        """Stop accepting, let open requests finish (bounded), close the socket."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = self._task = None

    def _ended(self, task: asyncio.Task[None]) -> None:
        """A server that dies on its own leaves clients unanswered: say so loudly."""
        if not task.cancelled() and task.exception() is not None:
            log.error(
                f"{self.label} server failed",
                error_type="http_server_failed",
                error=repr(task.exception()),
            )


class HealthServer(EmbeddedHttp):
    """`/health`, `/ready`, `/live` and the metrics of one pool, on `host:port`."""

    name = "health-http"
    label = "Health and metrics"

    def __init__(
        self, subject: HealthSubject, metrics: Metrics, *, host: str, port: int, version: str
    ) -> None:
        self.subject = subject
        self.metrics = metrics
        self.reporter = HealthReporter(subject, version=version)
        app = create_health_app(self.reporter, metrics.registry, version=version)
        super().__init__(app, host=host, port=port)

    def _before_serving(self) -> None:
        self.metrics.set_live_source(live_source(self.subject))
