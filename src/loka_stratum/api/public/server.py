"""Serving the public API inside the pool's event loop, the way `api.server` serves health.

Same embedding (see `api.server` for why: our signals, our logging, our own
bound socket so a port in use fails `start()` at once).
"""

from __future__ import annotations

from loka_stratum.api.public.app import create_public_app
from loka_stratum.api.public.protection import ProtectionControl
from loka_stratum.api.public.subject import PublicPool
from loka_stratum.api.server import EmbeddedHttp
from loka_stratum.observability.metrics import Metrics


class PublicApiServer(EmbeddedHttp):
    """`/api/v1/*` and `/api/admin/*` of one pool, on `host:port`."""

    name = "public-http"
    label = "Public API"

    def __init__(
        self, pool: PublicPool, metrics: Metrics, *, host: str, port: int, version: str
    ) -> None:
        self.pool = pool
        self.protection = ProtectionControl(pool.context)
        app = create_public_app(
            pool,
            self.protection,
            version=version,
            on_limited=lambda: metrics.rate_limited("api"),
        )
        super().__init__(app, host=host, port=port)
