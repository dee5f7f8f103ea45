"""The public API app (port 8080): `/api/v1/*` for pool users, `/api/admin/*` for operators.

The OpenAPI document at `/api/openapi.json` is the contract the tests check
with schemathesis; `/api/docs` renders it. Every handler is `async def`, so it
runs on the event loop thread beside the stratum sessions it reads. Database
reads go through `ApiQueries`, read-only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from loka_stratum.api.access_log import AccessLog
from loka_stratum.api.public.admin import admin_router
from loka_stratum.api.public.errors import error_responses, install_error_handlers
from loka_stratum.api.public.protection import ProtectionControl
from loka_stratum.api.public.ratelimit import ApiRateLimit, RateLimit
from loka_stratum.api.public.routes_federation import federation_router
from loka_stratum.api.public.routes_history import history_router
from loka_stratum.api.public.routes_miners import miners_router
from loka_stratum.api.public.routes_pool import pool_router
from loka_stratum.api.public.routes_settings import settings_router
from loka_stratum.api.public.subject import PublicPool
from loka_stratum.storage.api_queries import ApiQueries

OPENAPI_URL = "/api/openapi.json"


DASHBOARD = Path(__file__).with_name("dashboard.html")


def create_public_app(
    pool: PublicPool,
    control: ProtectionControl,
    *,
    version: str,
    rate_limit: RateLimit | None = None,
    on_limited: Callable[[], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The ASGI app; `rate_limit=None` uses the default per-IP limit."""
    app = FastAPI(
        title="loka-stratum pool API",
        version=version,
        openapi_url=OPENAPI_URL,
        docs_url="/api/docs",
        redoc_url=None,
        responses=error_responses(404, 405, 429, 500, 503),
    )
    install_error_handlers(app)
    page = DASHBOARD.read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard() -> HTMLResponse:
        """A one-page dashboard over the public API (static; the browser polls the API)."""
        return HTMLResponse(page)

    queries = ApiQueries(pool.database.engine)
    app.include_router(pool_router(pool, queries, clock))
    app.include_router(miners_router(pool, queries, clock))
    app.include_router(settings_router(pool, clock))
    app.include_router(history_router(queries))
    app.include_router(admin_router(pool, control))
    app.include_router(federation_router(pool))
    app.add_middleware(ApiRateLimit, limit=rate_limit or RateLimit(), on_limited=on_limited)
    app.add_middleware(AccessLog)
    return app
