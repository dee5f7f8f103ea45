"""`/api/federation/*` on a real federated pool, over the ASGI app the public port serves."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from loka_stratum.api.public import create_public_app
from loka_stratum.api.public.protection import ProtectionControl
from loka_stratum.api.public.ratelimit import RateLimit
from loka_stratum.app.pool import PoolApp

from .conftest import Pair, eventually, linked

TOKEN = {"Authorization": "Bearer admin-token-for-tests-0123456789"}


async def client_for(app: PoolApp) -> httpx.AsyncClient:
    api = create_public_app(
        app, ProtectionControl(app.context), version="test", rate_limit=RateLimit(1e9, 10**9)
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(api), base_url="http://pool")


@pytest.fixture
async def api(pair: Pair) -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(pair.a) as client:
        yield client


async def test_peers_lists_the_linked_peer(api: httpx.AsyncClient, pair: Pair) -> None:
    response = await api.get("/api/federation/peers")
    assert response.status_code == 200
    body = response.json()
    assert body["enabled"] is True and body["connected"] == 1
    (peer,) = body["peers"]
    assert peer["name"] == "b" and peer["connected"] is True
    assert peer["url"] == f"127.0.0.1:{pair.ports['b']}"
    assert peer["height"] == 0 and len(peer["tip"]) == 64


async def test_reconnect_needs_the_admin_token_then_redials(
    api: httpx.AsyncClient, pair: Pair
) -> None:
    assert (await api.post("/api/federation/reconnect")).status_code == 401
    response = await api.post("/api/federation/reconnect", headers=TOKEN)
    assert response.status_code == 200 and response.json() == {"dropped": 1}
    await eventually(lambda: linked(pair.a, "b") and linked(pair.b, "a"), "relinked")


async def test_without_a_federation_peers_is_empty_and_reconnect_refused(pair: Pair) -> None:
    service, pair.a.federation = pair.a.federation, None
    try:
        async with await client_for(pair.a) as client:
            body = (await client.get("/api/federation/peers")).json()
            assert body == {"enabled": False, "standalone": False, "connected": 0, "peers": []}
            response = await client.post("/api/federation/reconnect", headers=TOKEN)
            assert response.status_code == 409
    finally:
        pair.a.federation = service
