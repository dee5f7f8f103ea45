"""Serving the public API inside the pool's event loop, the way `api.server` serves health.

Same embedding (see `api.server` for why: our signals, our logging, our own
bound socket so a port in use fails `start()` at once). `start()` also puts
the configured `[limiter] mode` in force, since the protection control that
owns modes lives here.
"""

from __future__ import annotations

import asyncio

from loka_stratum.api.public.app import create_public_app
from loka_stratum.api.public.protection import ProtectionControl
from loka_stratum.api.public.subject import PublicPool
from loka_stratum.api.server import (
    GRACEFUL_SHUTDOWN,
    _EmbeddedConfig,
    _EmbeddedServer,
    bind_socket,
)
from loka_stratum.observability.loggers import get_logger
from loka_stratum.observability.metrics import Metrics

log = get_logger("loka_stratum.api")


class PublicApiServer:
    """`/api/v1/*` and `/api/admin/*` of one pool, on `host:port`."""

    def __init__(
        self, pool: PublicPool, metrics: Metrics, *, host: str, port: int, version: str
    ) -> None:
        self.pool = pool
        self.host = host
        self.port = port
        """The configured port until `start()`, then the bound one."""
        self.protection = ProtectionControl(pool.context)
        self.app = create_public_app(
            pool,
            self.protection,
            version=version,
            on_limited=lambda: metrics.rate_limited("api"),
        )
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind (raising OSError if that fails), start serving."""
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
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
        self._task = asyncio.create_task(self._server.serve([sock]), name="public-http")
        self._task.add_done_callback(self._ended)
        log.info("Public API listening", host=self.host, port=self.port)

    async def stop(self) -> None:
        """Stop accepting, let open requests finish (bounded), close the socket."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = self._task = None

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "Public API server failed",
                error_type="http_server_failed",
                error=repr(task.exception()),
            )
