"""A real pool (embedded chain, SQLite) with its public API on loopback, and real miners."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from loka_stratum import __version__
from loka_stratum.api.public import PublicApiServer
from loka_stratum.app.pool import PoolApp
from loka_stratum.app.sources import build_source
from loka_stratum.config import Settings
from loka_stratum.observability.metrics import Metrics
from tests.server.harness import Miner, find_share, submit_params

TOKEN = "admin-token-for-tests-0123456789"
ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
OTHER = "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"
SHARE_DIFFICULTY = 1e-9
NETWORK_DIFFICULTY = 1e-5
"""A block takes ~43,000 hashes: cheap on purpose, rare by accident (1 in 10,000 shares)."""


def pool_settings(
    directory: Path, *, admin_token: str | None = TOKEN, limiter: dict[str, Any] | None = None
) -> Settings:
    http: dict[str, Any] = {"health_port": 0, "api_host": "127.0.0.1", "api_port": 0}
    if admin_token is not None:
        http["admin_token"] = admin_token
    values: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": 0},
        "http": http,
        "stratum": {"start_difficulty": SHARE_DIFFICULTY, "min_difficulty": SHARE_DIFFICULTY},
        "vardiff": {"enabled": False},
        "limiter": limiter or {},
        "embedded": {"network_difficulty": NETWORK_DIFFICULTY},
        "database": {
            "url": f"sqlite:///{directory}/pool.db",
            "journal_dir": str(directory / "journal"),
            "flush_interval": "0.05s",
        },
    }
    return Settings.model_validate(values)


@dataclass
class LivePool:
    app: PoolApp
    api: PublicApiServer
    client: httpx.AsyncClient

    @property
    def stratum_port(self) -> int:
        return next(iter(self.app.server.bound.values()))

    async def flushed(self) -> None:
        """Every share recorded so far is committed to the database."""
        await self.app.batcher.wait_for(lambda stats: stats.pending_shares == 0)


async def start_live_pool(settings: Settings) -> LivePool:
    metrics = Metrics(CollectorRegistry(), version=__version__, mode="pool")
    app = PoolApp(settings, build_source(settings, metrics), metrics)
    await app.start()
    http = settings.http
    api = PublicApiServer(app, metrics, host=http.api_host, port=http.api_port, version="test")
    await api.start()
    return LivePool(app, api, httpx.AsyncClient(base_url=api.url, timeout=10.0))


async def stop_live_pool(live: LivePool) -> None:
    await live.client.aclose()
    await live.api.stop()
    await live.app.stop()


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LivePool]:
    running = await start_live_pool(pool_settings(tmp_path))
    yield running
    await stop_live_pool(running)


async def mine_shares(miner: Miner, notify: list[Any], user: str, count: int, first: int) -> None:
    """`count` valid shares at the session's difficulty, each with its own extranonce2."""
    for n in range(first, first + count):
        en2 = n.to_bytes(4, "big")
        nonce = find_share(notify, miner.extranonce1, miner.difficulty, extranonce2=en2)
        reply = await miner.call(
            100 + n, "mining.submit", submit_params(notify, user, nonce, extranonce2=en2)
        )
        assert reply["result"] is True, reply
