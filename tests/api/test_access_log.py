"""Requests are logged at debug under loka_stratum.api, which RUST_LOG=tower_http=debug enables."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx

from loka_stratum import __version__
from loka_stratum.api import HealthReporter, create_health_app
from loka_stratum.observability.logging import configure_logging
from loka_stratum.observability.metrics import Metrics
from tests.api.fakes import FakeApp


async def requests_logged(fake_app: FakeApp, metrics: Metrics, filter_spec: str) -> list[Any]:
    stream = io.StringIO()
    handle = configure_logging(
        level="info",
        fmt="json",
        filter_spec=filter_spec,
        file=None,
        security_file=None,
        stream=stream,
    )
    try:
        app = create_health_app(
            HealthReporter(fake_app, version=__version__), metrics.registry, version=__version__
        )
        transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://health") as client:
            await client.get("/live")
            await client.get("/missing")
    finally:
        handle.close()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line["message"] == "HTTP request"]


async def test_requests_logged_at_debug_with_tower_http(
    fake_app: FakeApp, metrics: Metrics
) -> None:
    logged = await requests_logged(fake_app, metrics, "tower_http=debug")
    assert [(line["target"], line["level"]) for line in logged] == [
        ("loka_stratum.api", "DEBUG")
    ] * 2
    fields = [line["fields"] for line in logged]
    assert [(f["method"], f["path"], f["status"]) for f in fields] == [
        ("GET", "/live", 200),
        ("GET", "/missing", 404),
    ]
    assert fields[0]["peer"] == "10.1.2.3:40000"
    assert fields[0]["duration_ms"] >= 0


async def test_requests_not_logged_at_info(fake_app: FakeApp, metrics: Metrics) -> None:
    assert await requests_logged(fake_app, metrics, "") == []
