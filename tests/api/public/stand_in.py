"""A pool as the public API sees it, from plain values, over a real migrated SQLite file.

For tests that drive the ASGI app without a running pool (schemathesis, the rate
limit). The engine uses no connection pool: the sync test clients run the app
in an event loop of their own, and no connection outlives the request it served.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from loka_stratum.api.public.subject import MinerSessionView
from loka_stratum.bitcoin.network import REGTEST
from loka_stratum.config import Settings
from loka_stratum.mining.hashrate import HashrateWindow
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.mining.vardiff import VardiffPolicy
from loka_stratum.server.policy import SessionPolicy
from loka_stratum.server.protection import ProtectionMode, protected_policy
from loka_stratum.storage import migrate, migrate_sync
from tests.api.fakes import TEMPLATE


@dataclass
class StandInJobs:
    template: BlockTemplate | None = TEMPLATE
    network_difficulty: float | None = 4.656e-10


@dataclass
class StandInContext:
    policy: SessionPolicy = field(
        default_factory=lambda: SessionPolicy(network=REGTEST, solo=True, vardiff=VardiffPolicy())
    )
    sessions: list[MinerSessionView] = field(default_factory=list)
    jobs: StandInJobs = field(default_factory=StandInJobs)
    protection: ProtectionMode = ProtectionMode.NORMAL

    def __post_init__(self) -> None:
        self.normal = self.policy

    def set_protection(self, mode: ProtectionMode) -> None:
        self.protection = mode
        self.policy = protected_policy(self.normal, mode)


@dataclass
class StandInDatabase:
    engine: AsyncEngine


@dataclass
class StandInSink:
    accepted: int = 0
    rejected: int = 0


@dataclass
class StandInServer:
    bound: dict[int, int] = field(default_factory=lambda: {3333: 3333})


@dataclass(frozen=True)
class Report:
    body: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return self.body


STATUS = {
    "paused": False,
    "wallet_configured": False,
    "pending_count": 0,
    "unconfirmed_count": 0,
    "queued_count": 1,
    "queued_total": 150_000,
    "paid_total": 0,
    "totals": {"pending": {"count": 0, "amount": 0}},
    "last_run": None,
}


class StandInControl:
    """Answers like `PaymentsControl` with no wallet and one payout queued."""

    def __init__(self) -> None:
        self.paused = False

    async def status(self) -> Report:
        return Report({**STATUS, "paused": self.paused})

    async def pause(self) -> Report:
        self.paused = True
        return await self.status()

    async def resume(self) -> Report:
        self.paused = False
        return await self.status()

    async def queue(self) -> list[Report]:
        payout = {"account": "acct", "address": "addr", "amount": 150_000, "threshold": 100_000}
        return [Report(payout)]


@dataclass
class StandInPayments:
    control: StandInControl = field(default_factory=StandInControl)


@dataclass
class StandInPool:
    database: StandInDatabase
    settings: Settings = field(default_factory=Settings)
    started_at: float = field(default_factory=time.time)
    context: StandInContext = field(default_factory=StandInContext)
    hashrate: tuple[HashrateWindow, ...] = (HashrateWindow(60), HashrateWindow(300))
    sink: StandInSink = field(default_factory=StandInSink)
    server: StandInServer = field(default_factory=StandInServer)
    payments: StandInPayments = field(default_factory=StandInPayments)


def _pool(directory: Path) -> StandInPool:
    engine = create_async_engine(f"sqlite+aiosqlite:///{directory}/api.db", poolclass=NullPool)
    return StandInPool(StandInDatabase(engine))


def stand_in_pool(directory: Path) -> StandInPool:
    """For sync tests (no running event loop)."""
    migrate_sync(f"sqlite:///{directory}/api.db")
    return _pool(directory)


async def stand_in_pool_async(directory: Path) -> StandInPool:
    await migrate(f"sqlite:///{directory}/api.db")
    return _pool(directory)
