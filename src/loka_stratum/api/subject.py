"""What the health surface reads from a running pool, as structural types.

The HTTP layer only reads: sessions, counters, the current template, bans,
the database probe, the work source's health, batcher figures and hashrate
windows. Spelling that out as protocols keeps `api` independent of how
`app.PoolApp` is wired, and lets tests stand in a small fake for the whole
pool. `PoolApp` satisfies `HealthSubject` as it is; mypy checks that where
`app.run` hands it over.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from loka_stratum.config import Settings
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.sources.base import SourceHealth
from loka_stratum.storage.batcher import BatcherStats


class SessionView(Protocol):
    @property
    def port(self) -> int:
        """The listening port the miner connected to."""

    @property
    def identities(self) -> Mapping[str, object]:
        """Workers authorized on this connection, by name."""


class CountersView(Protocol):
    @property
    def connections_total(self) -> int: ...


class JobsView(Protocol):
    @property
    def template(self) -> BlockTemplate | None: ...


class BansView(Protocol):
    def active(self, now: float) -> int:
        """IPs banned at `now` (monotonic seconds)."""


class ContextView(Protocol):
    @property
    def sessions(self) -> Collection[SessionView]: ...

    @property
    def counters(self) -> CountersView: ...

    @property
    def max_connections(self) -> int: ...

    @property
    def jobs(self) -> JobsView: ...

    @property
    def has_work(self) -> bool:
        """Jobs can be given to miners (pool: a template; proxy: an upstream job)."""

    @property
    def bans(self) -> BansView: ...

    @property
    def accepting(self) -> bool:
        """False once shutdown has begun."""

    @property
    def monotonic(self) -> Callable[[], float]: ...


class DatabaseView(Protocol):
    @property
    def engine(self) -> AsyncEngine: ...

    async def health(self) -> bool:
        """True when a bounded `SELECT 1` succeeds."""


class SourceView(Protocol):
    def health(self) -> SourceHealth: ...


class BatcherView(Protocol):
    def stats(self) -> BatcherStats: ...


class HashrateView(Protocol):
    @property
    def window(self) -> float:
        """Window length in seconds."""

    def hashrate(self, now: float) -> float:
        """Hashes per second over the window ending at `now` (wall clock)."""


class ServerView(Protocol):
    @property
    def bound(self) -> Mapping[int, int]:
        """Configured stratum port -> port actually bound."""


class HealthSubject(Protocol):
    """The running pool as the health and metrics endpoints see it."""

    @property
    def settings(self) -> Settings: ...

    @property
    def started_at(self) -> float:
        """Wall-clock time the pool was built."""

    @property
    def context(self) -> ContextView: ...

    @property
    def database(self) -> DatabaseView: ...

    @property
    def source(self) -> SourceView: ...

    @property
    def batcher(self) -> BatcherView: ...

    @property
    def hashrate(self) -> Sequence[HashrateView]: ...

    @property
    def server(self) -> ServerView: ...
