"""A pool as the health surface sees it, built from plain values a test can change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from loka_stratum.config import Settings
from loka_stratum.mining.hashrate import HashrateWindow
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.server.bans import BanList
from loka_stratum.sources.base import SourceHealth, SourceState
from loka_stratum.storage.batcher import BatcherStats

TEMPLATE = BlockTemplate(
    height=101,
    prev_hash=bytes(32),
    version=0x20000000,
    bits=0x207FFFFF,
    curtime=1_700_000_000,
    mintime=1_699_999_000,
    coinbase_value=50 * 10**8,
)


@dataclass
class FakeSession:
    port: int
    identities: dict[str, object] = field(default_factory=dict)


@dataclass
class FakeCounters:
    connections_total: int = 0


@dataclass
class FakeJobs:
    template: BlockTemplate | None = TEMPLATE


@dataclass
class FakeContext:
    sessions: list[FakeSession] = field(default_factory=list)
    counters: FakeCounters = field(default_factory=FakeCounters)
    max_connections: int = 1000
    jobs: FakeJobs = field(default_factory=FakeJobs)
    bans: BanList = field(default_factory=lambda: BanList(600.0))
    accepting: bool = True
    monotonic: Callable[[], float] = lambda: 1_000.0

    @property
    def has_work(self) -> bool:
        return self.jobs.template is not None


@dataclass
class FakeDatabase:
    engine: AsyncEngine
    up: bool = True
    probes: int = 0

    async def health(self) -> bool:
        self.probes += 1
        return self.up


@dataclass
class FakeSource:
    state: SourceState = SourceState.HEALTHY
    detail: str = ""
    height: int | None = 101
    last_template_at: float | None = None

    def health(self) -> SourceHealth:
        return SourceHealth(self.state, self.detail, self.height, self.last_template_at)


@dataclass
class FakeBatcher:
    pending_shares: int = 0
    journal_depth: int = 0
    database_up: bool = True

    def stats(self) -> BatcherStats:
        return BatcherStats(
            pending_shares=self.pending_shares,
            journal_depth=self.journal_depth,
            last_flush_seconds=None,
            flushes=0,
            skipped=0,
            failures=0,
            journaled=0,
            replayed=0,
            shares_committed=0,
            database_up=self.database_up,
        )


@dataclass
class FakeServer:
    bound: dict[int, int] = field(default_factory=lambda: {3333: 3333})


@dataclass
class FakeApp:
    database: FakeDatabase
    started_at: float
    settings: Settings = field(default_factory=Settings)
    context: FakeContext = field(default_factory=FakeContext)
    source: FakeSource = field(default_factory=FakeSource)
    batcher: FakeBatcher = field(default_factory=FakeBatcher)
    hashrate: tuple[HashrateWindow, ...] = field(
        default_factory=lambda: (HashrateWindow(60), HashrateWindow(300), HashrateWindow(3600))
    )
    server: FakeServer = field(default_factory=FakeServer)


def sqlite_engine(directory: Path) -> AsyncEngine:
    """A real engine with a queue pool (never connected unless a test does)."""
    return create_async_engine(f"sqlite+aiosqlite:///{directory}/fake.db")
