"""Two real pools (`PoolApp` on the embedded chain, sqlite) federated over loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from loka_stratum.app.pool import PoolApp
from loka_stratum.config import Settings
from loka_stratum.federation.service import FederationService
from loka_stratum.observability.metrics import Metrics
from loka_stratum.sources.embedded import EmbeddedSource
from tests.app.accounting_helpers import POOL_ADDRESS

SECRET = "a-long-shared-federation-secret"
NETWORK_DIFFICULTY = 1e-6
HEARTBEAT = 0.1
DEADLINE = 5.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def node_settings(
    tmp_path: Path, name: str, port: int, peers: dict[str, int], secret: str = SECRET
) -> Settings:
    return Settings.model_validate(
        {
            "server": {"host": "127.0.0.1", "port": 0},
            "stratum": {
                "payout_mode": "pool",
                "pool_address": POOL_ADDRESS,
                "start_difficulty": NETWORK_DIFFICULTY,
                "min_difficulty": NETWORK_DIFFICULTY,
            },
            "vardiff": {"enabled": False},
            "accounting": {"scheme": "pplns"},
            "database": {
                "url": f"sqlite+aiosqlite:///{tmp_path / name}.db",
                "journal_dir": str(tmp_path / f"{name}-journal"),
                "flush_interval": 0.05,
            },
            "http": {"admin_token": "admin-token-for-tests-0123456789"},
            "federation": {
                "enabled": True,
                "host": "127.0.0.1",
                "port": port,
                "node_name": name,
                "secret": secret,
                "heartbeat_interval": HEARTBEAT,
                "reconnect_backoff_max": 0.5,
                "peers": [{"name": n, "url": f"127.0.0.1:{p}"} for n, p in peers.items()],
            },
        }
    )


_NODES: list[PoolApp] = []
"""Nodes started by this test (emptied by `pair`'s teardown): `eventually` watches them."""


async def start_node(settings: Settings) -> PoolApp:
    source = EmbeddedSource(
        network_difficulty=NETWORK_DIFFICULTY, filler_transactions=0, template_refresh=3600.0
    )
    app = PoolApp(settings, source, Metrics(CollectorRegistry(), version="test", mode="pool"))
    await app.start()
    _NODES.append(app)
    return app


def federation(app: PoolApp) -> FederationService:
    assert app.federation is not None
    return app.federation


async def eventually(predicate: Callable[[], bool], what: str) -> None:
    """Until `predicate` holds, re-checked whenever a running node's federation changes."""
    try:
        async with asyncio.timeout(DEADLINE):
            while True:
                events = [app.federation.changed for app in _NODES if app.federation]
                for event in events:
                    event.clear()
                if predicate():
                    return
                waits = [asyncio.ensure_future(event.wait()) for event in events]
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for wait in waits:
                        wait.cancel()
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def linked(app: PoolApp, peer: str) -> bool:
    return any(p.name == peer and p.connected for p in federation(app).peers())


@dataclass
class Pair:
    tmp_path: Path
    ports: dict[str, int]
    a: PoolApp
    b: PoolApp

    def settings(self, name: str) -> Settings:
        other = "b" if name == "a" else "a"
        return node_settings(self.tmp_path, name, self.ports[name], {other: self.ports[other]})


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[Pair]:
    ports = {"a": free_port(), "b": free_port()}
    a = await start_node(node_settings(tmp_path, "a", ports["a"], {"b": ports["b"]}))
    b = await start_node(node_settings(tmp_path, "b", ports["b"], {"a": ports["a"]}))
    nodes = Pair(tmp_path, ports, a, b)
    try:
        await eventually(lambda: linked(nodes.a, "b") and linked(nodes.b, "a"), "a <-> b")
        yield nodes
    finally:
        for app in (nodes.a, nodes.b):  # the current ones: a test may have restarted b
            await app.stop()
        _NODES.clear()
