"""The OpenAPI document is the contract: schemathesis drives the app with what it allows."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.core.result import Ok

from loka_stratum.api.public import (
    OPENAPI_URL,
    ProtectionControl,
    RateLimit,
    create_public_app,
)
from tests.api.public.conftest import ADDRESS, LivePool, mine_shares
from tests.api.public.stand_in import stand_in_pool
from tests.server.harness import Miner

UNLIMITED = RateLimit(rate=1e9, burst=10**9)
EXAMPLES = settings(max_examples=8, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    pool = stand_in_pool(Path(tmp_path_factory.mktemp("openapi")))
    return create_public_app(
        pool, ProtectionControl(pool.context), version="test", rate_limit=UNLIMITED
    )


@pytest.fixture(scope="module")
def api_schema(api_app: FastAPI) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_asgi(OPENAPI_URL, api_app)


def check_case(case: Case[Any]) -> None:
    response = case.call()
    case.validate_response(response)
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == ["application/json"]


def test_every_operation_honours_its_schema(api_schema: schemathesis.schemas.BaseSchema) -> None:
    """Drives each operation in turn (the pytest plugin of schemathesis predates pytest 9)."""
    operations = [r.ok() for r in api_schema.get_all_operations() if isinstance(r, Ok)]
    assert len(operations) >= 13
    for operation in operations:

        @EXAMPLES
        @given(operation.as_strategy())
        def run(case: Case[Any]) -> None:
            check_case(case)

        run()


def test_the_document_names_the_manual_routes(api_schema: schemathesis.schemas.BaseSchema) -> None:
    paths = set(api_schema.raw_schema["paths"])
    assert {
        "/api/v1/stats",
        "/api/v1/algorithms",
        "/api/v1/miners/top",
        "/api/v1/miners/{address}",
        "/api/v1/workers",
        "/api/v1/blocks",
        "/api/v1/payments",
        "/api/admin/ddos-protection",
        "/api/admin/payments/status",
        "/api/admin/payments/pause",
        "/api/admin/payments/resume",
        "/api/admin/payments/queue",
    } <= paths


def drive_over_http(url: str) -> int:
    """Every operation of the schema served at `url`, over real HTTP; returns how many."""
    schema = schemathesis.openapi.from_url(url)
    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
    for operation in operations:

        @LIVE_EXAMPLES
        @given(operation.as_strategy())
        def run(case: Case[Any]) -> None:
            response = case.call(timeout=10)
            case.validate_response(response)
            assert response.status_code < 500, response.text

        run()
    return len(operations)


LIVE_EXAMPLES = settings(max_examples=4, suppress_health_check=list(HealthCheck), database=None)


async def test_the_running_pool_honours_its_schema(live: LivePool) -> None:
    """The same contract against a real pool serving on loopback (its sessions, its
    database), driven from a thread so the pool's event loop keeps serving."""
    miner = await Miner.connect(live.stratum_port)
    try:
        notify = await miner.handshake(f"{ADDRESS}.rig1")
        await mine_shares(miner, notify, f"{ADDRESS}.rig1", 3, first=0)
        await live.flushed()
        url = f"{live.api.url}{OPENAPI_URL}"
        assert await asyncio.to_thread(drive_over_http, url) >= 13
    finally:
        await miner.close()
