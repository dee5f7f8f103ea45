"""Admin routes on a real pool: closed without a token, 401 on a bad one, live mode changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from loka_stratum.api.public import ProtectionMode
from tests.api.public.conftest import (
    ADDRESS,
    TOKEN,
    LivePool,
    pool_settings,
    start_live_pool,
    stop_live_pool,
)
from tests.server.harness import Miner

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PER_IP = 4
"""Configured connections per IP: emergency allows a quarter of it, one."""


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[LivePool]:
    settings = pool_settings(tmp_path, limiter={"connections": PER_IP, "ban_threshold": 10})
    running = await start_live_pool(settings)
    yield running
    await stop_live_pool(running)


def without_token(live: LivePool) -> None:
    """What a reload that removes the token does: the settings object is replaced."""
    settings = live.app.settings
    http = settings.http.model_copy(update={"admin_token": None})
    live.app.settings = settings.model_copy(update={"http": http})


@pytest.mark.parametrize(
    "route",
    [
        ("GET", "/api/admin/ddos-protection"),
        ("POST", "/api/admin/ddos-protection"),
    ],
)
async def test_no_configured_token_closes_every_admin_route(
    guarded: LivePool, route: tuple[str, str]
) -> None:
    without_token(guarded)
    method, path = route
    for headers in ({}, AUTH, {"Authorization": "Bearer x"}):
        response = await guarded.client.request(
            method, path, headers=headers, content=b'{"mode":"normal"}'
        )
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "forbidden"
    assert guarded.app.context.policy.ban_threshold == 10


async def test_missing_or_wrong_token_is_401_and_logged_without_the_token(
    guarded: LivePool,
) -> None:
    wrong = {"Authorization": f"Bearer {TOKEN[:-1]}x"}
    with capture_logs() as events:
        missing = await guarded.client.get("/api/admin/ddos-protection")
        bad = await guarded.client.post(
            "/api/admin/ddos-protection", headers=wrong, content=b'{"mode":"emergency"}'
        )
        basic = await guarded.client.get(
            "/api/admin/ddos-protection", headers={"Authorization": "Basic dXNlcjpwYXNz"}
        )
    for response in (missing, bad, basic):
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    failures = [e for e in events if e["event"] == "auth_failed"]
    assert [e["reason"] for e in failures] == ["missing token", "wrong token", "missing token"]
    assert all(e["peer"] == "127.0.0.1" for e in failures)
    assert TOKEN[:-1] not in repr(events)
    assert guarded.app.context.policy.ban_threshold == 10


async def test_modes_change_the_limits_connected_and_new_miners_get(guarded: LivePool) -> None:
    state = await guarded.client.get("/api/admin/ddos-protection", headers=AUTH)
    assert state.status_code == 200
    assert state.json()["mode"] == "normal"
    assert state.json()["limits"]["max_connections_per_ip"] == PER_IP
    first = await Miner.connect(guarded.stratum_port)
    await first.handshake(f"{ADDRESS}.rig1")

    # The runbook's own request: curl -d sends the JSON as a form body.
    form = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
    emergency = await guarded.client.post(
        "/api/admin/ddos-protection", headers=form, content=b'{"mode":"emergency"}'
    )
    assert emergency.status_code == 200, emergency.text
    assert emergency.json()["mode"] == "emergency"
    policy = guarded.app.context.policy
    assert (policy.max_connections_per_ip, policy.ban_threshold) == (1, 1)
    assert emergency.json()["limits"]["max_connections_per_ip"] == 1
    refused = await Miner.connect(guarded.stratum_port)
    assert await refused.closed_by_pool()
    await first.call(20, "mining.extranonce.subscribe", [])  # the first miner still served

    elevated = await guarded.client.post(
        "/api/admin/ddos-protection", headers=AUTH, json={"mode": "elevated"}
    )
    assert elevated.json()["limits"]["max_connections_per_ip"] == PER_IP // 2
    admitted = await Miner.connect(guarded.stratum_port)
    await admitted.handshake(f"{ADDRESS}.rig2")
    back = await guarded.client.post(
        "/api/admin/ddos-protection", headers=AUTH, json={"mode": "normal"}
    )
    assert back.json()["mode"] == ProtectionMode.NORMAL
    assert guarded.app.context.policy.ban_threshold == 10
    for miner in (first, refused, admitted):
        await miner.close()


@pytest.mark.parametrize(
    "body", [b'{"mode":"panic"}', b"mode=emergency", b"", b"[]", b'{"mode": 3}', b"x" * 2000]
)
async def test_bad_mode_bodies_are_4xx_and_change_nothing(guarded: LivePool, body: bytes) -> None:
    response = await guarded.client.post("/api/admin/ddos-protection", headers=AUTH, content=body)
    assert response.status_code in {413, 422}
    assert response.json()["error"] in {"invalid_request", "payload_too_large"}
    assert guarded.app.context.policy.ban_threshold == 10


async def test_payments_routes_drive_the_pools_payment_control(guarded: LivePool) -> None:
    client = guarded.client
    assert (await client.get("/api/admin/payments/status")).status_code == 401
    assert (await client.post("/api/admin/payments/pause")).status_code == 401
    status = await client.get("/api/admin/payments/status", headers=AUTH)
    assert status.status_code == 200, status.text
    assert status.json()["paused"] is False and status.json()["wallet_configured"] is False
    assert status.json()["pending_count"] == 0
    paused = await client.post("/api/admin/payments/pause", headers=AUTH)
    assert paused.json()["paused"] is True
    assert await guarded.app.payments.control.paused()
    resumed = await client.post("/api/admin/payments/resume", headers=AUTH)
    assert resumed.json()["paused"] is False
    assert not await guarded.app.payments.control.paused()
    queue = await client.get("/api/admin/payments/queue", headers=AUTH)
    assert queue.json() == {"pending_count": 0, "pending_total": 0, "data": []}
