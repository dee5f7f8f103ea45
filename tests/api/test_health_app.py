"""The health app in memory (ASGI transport) against a fake pool: bodies, codes, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from loka_stratum import __version__
from loka_stratum.api import HealthReporter, create_health_app
from loka_stratum.api.live_stats import live_source
from loka_stratum.observability.metrics import Metrics
from loka_stratum.sources.base import SourceState
from tests.api.fakes import FakeApp, FakeSession

MANUAL_KEYS = {"status", "uptime", "version", "connections", "services"}
MANUAL_KEYS |= {"memory_usage", "cpu_usage"}


@pytest.fixture
async def client(fake_app: FakeApp, metrics: Metrics) -> AsyncIterator[httpx.AsyncClient]:
    metrics.set_live_source(live_source(fake_app))
    app = create_health_app(
        HealthReporter(fake_app, version=__version__), metrics.registry, version=__version__
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://health") as client:
        yield client


async def test_health_has_the_manual_shape_with_real_values(
    client: httpx.AsyncClient, fake_app: FakeApp
) -> None:
    fake_app.context.sessions = [FakeSession(3333), FakeSession(3333)]
    fake_app.context.counters.connections_total = 17
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body.keys() >= MANUAL_KEYS
    assert body["status"] == "healthy"
    assert body["uptime"] == "2d 4h 23m"
    assert body["version"] == __version__
    assert body["connections"] == {"active": 2, "total": 17, "max": 1000}
    assert body["services"] == {
        "database": "healthy",
        "pool_connection": "healthy",
        "metrics": "healthy",
    }
    assert body["memory_usage"] > 1_000_000
    assert body["cpu_usage"] >= 0.0
    assert body["work_source"]["kind"] == "embedded"
    assert body["work_source"]["height"] == 101


async def test_database_down_is_unhealthy_503(client: httpx.AsyncClient, fake_app: FakeApp) -> None:
    fake_app.database.up = False
    response = await client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["services"]["database"] == "unhealthy"
    assert body["database"]["reachable"] is False


async def test_work_source_down_is_unhealthy_503(
    client: httpx.AsyncClient, fake_app: FakeApp
) -> None:
    fake_app.source.state = SourceState.DOWN
    fake_app.source.detail = "connection refused"
    response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["services"]["pool_connection"] == "unhealthy"
    assert response.json()["work_source"]["detail"] == "connection refused"


async def test_degraded_source_still_answers_200(
    client: httpx.AsyncClient, fake_app: FakeApp
) -> None:
    fake_app.source.state = SourceState.DEGRADED
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"


async def test_ready_when_template_and_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "reasons": [],
        "checks": {"work_source": True, "database": True, "accepting": True},
    }


async def test_not_ready_says_why(client: httpx.AsyncClient, fake_app: FakeApp) -> None:
    fake_app.context.jobs.template = None
    fake_app.database.up = False
    response = await client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["checks"] == {"work_source": False, "database": False, "accepting": True}
    assert body["reasons"] == [
        "work source has no block template yet",
        "database does not answer",
    ]


async def test_not_ready_while_shutting_down(client: httpx.AsyncClient, fake_app: FakeApp) -> None:
    fake_app.context.accepting = False
    response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["reasons"] == ["shutting down"]


async def test_live(client: httpx.AsyncClient) -> None:
    response = await client.get("/live")
    assert response.status_code == 200
    assert response.json()["status"] == "alive"
    assert response.json()["uptime_seconds"] > 188_000


@pytest.mark.parametrize("path", ["/metrics/prometheus", "/metrics"])
async def test_metrics_exposition(client: httpx.AsyncClient, fake_app: FakeApp, path: str) -> None:
    fake_app.context.sessions = [FakeSession(3333, {"w1": object(), "w2": object()})]
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    assert samples[("loka_stratum_connections_active", (("port", "3333"),))] == 1
    assert samples[("loka_stratum_workers_authorized", ())] == 2
    assert samples[("loka_stratum_live_source_up", ())] == 1
    assert samples[("loka_stratum_work_source_up", ())] == 1
    pool_max = fake_app.settings.database.max_connections
    assert samples[("loka_stratum_db_connections_max", ())] == pool_max
    assert samples[("loka_stratum_db_connections_active", ())] == 0


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


async def test_wrong_method_is_json_405(client: httpx.AsyncClient) -> None:
    response = await client.post("/health")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert response.headers["allow"] == "GET"


async def test_openapi_documents_the_endpoints(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/health", "/ready", "/live", "/metrics", "/metrics/prometheus"} <= paths.keys()
    assert "503" in paths["/health"]["get"]["responses"]
