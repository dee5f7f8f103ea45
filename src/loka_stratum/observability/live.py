"""Live state read at scrape time: what is true now, not what was counted.

Active connections, hashrate estimates, journal depth, upstream state and the
like already live in the objects that own them. Copying them into gauges on
every change would count them twice and drift; instead the app registers one
provider (`Metrics.set_live_source`) returning a `LiveStats` snapshot, and
`LiveCollector` turns it into gauges when Prometheus scrapes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from prometheus_client.core import GaugeMetricFamily, Metric

_log = logging.getLogger("loka_stratum.observability.live")

RATE_WINDOW_SECONDS: Final = 60


@dataclass(frozen=True, slots=True)
class DbPoolStats:
    active: int
    idle: int
    max: int


@dataclass(frozen=True, slots=True)
class LiveStats:
    """One snapshot of live state; fields a mode does not have keep their defaults."""

    uptime_seconds: float = 0.0
    active_connections: Mapping[int, int] = field(default_factory=dict)
    """Open connections per listening port."""
    max_connections: int = 0
    authorized_workers: int = 0
    hashrate: Mapping[str, float] = field(default_factory=dict)
    """Estimated hashes per second by window name (`1m`, `5m`, `1h`)."""
    work_source_up: bool = False
    upstreams_connected: Mapping[str, bool] = field(default_factory=dict)
    journal_depth: int = 0
    """Share batches spilled to the local journal, waiting for the database."""
    pending_shares: int = 0
    """Accepted shares buffered in memory for the next flush."""
    db_pool: DbPoolStats | None = None
    banned_ips: int = 0


LiveSource = Callable[[], LiveStats]


class RateWindow:
    """Events per second over the last minute, from one-second slots (no timer needed)."""

    def __init__(self, clock: Callable[[], float], span: int = RATE_WINDOW_SECONDS) -> None:
        self._clock = clock
        self._span = span
        self._seconds = [-1] * span
        self._counts = [0] * span
        self._lock = threading.Lock()

    def mark(self) -> None:
        second = int(self._clock())
        slot = second % self._span
        with self._lock:
            if self._seconds[slot] != second:
                self._seconds[slot] = second
                self._counts[slot] = 0
            self._counts[slot] += 1

    def rate(self) -> float:
        now = int(self._clock())
        with self._lock:
            pairs = list(zip(self._seconds, self._counts, strict=True))
        return sum(count for second, count in pairs if 0 <= now - second < self._span) / self._span


_RATE: Final = "loka_stratum_connections_rate"
_SOURCE_UP: Final = "loka_stratum_live_source_up"
LIVE_GAUGES: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    (_SOURCE_UP, "1 when the live stats provider answered this scrape.", ()),
    (_RATE, "New connections per second over the last minute.", ()),
    ("loka_stratum_connections_active", "Open miner connections.", ("port",)),
    ("loka_stratum_connections_max", "Connection cap (config or fd limit).", ()),
    ("loka_stratum_workers_authorized", "Authorized workers connected.", ()),
    ("loka_stratum_hashrate", "Estimated hashes per second by window.", ("window",)),
    ("loka_stratum_work_source_up", "1 when the work source serves templates.", ()),
    ("loka_stratum_upstream_connected", "1 when connected to the upstream.", ("upstream",)),
    ("loka_stratum_db_journal_depth", "Share batches waiting in the local journal.", ()),
    ("loka_stratum_db_pending_shares", "Accepted shares buffered for the next flush.", ()),
    ("loka_stratum_db_connections_active", "Database connections in use.", ()),
    ("loka_stratum_db_connections_idle", "Database connections idle in the pool.", ()),
    ("loka_stratum_db_connections_max", "Database connection pool size limit.", ()),
    ("loka_stratum_banned_ips", "IP addresses currently banned.", ()),
    ("loka_stratum_uptime_seconds", "Seconds since the server started.", ()),
)
"""(name, help, labels) of every gauge the live collector serves."""


class LiveCollector:
    """Custom collector: gauges from the registered `LiveSource`, plus the connection rate."""

    def __init__(self, connection_rate: RateWindow) -> None:
        self._rate = connection_rate
        self._source: LiveSource | None = None

    def set_source(self, source: LiveSource) -> None:
        self._source = source

    def describe(self) -> Iterator[Metric]:
        """The families without samples, so the registry can refuse clashing names."""
        return iter(self._families().values())

    def collect(self) -> Iterator[Metric]:
        families = self._families()
        families[_RATE].add_metric([], self._rate.rate())
        stats = self._snapshot()
        families[_SOURCE_UP].add_metric([], 0.0 if stats is None else 1.0)
        if stats is not None:
            _fill(families, stats)
        return iter(families.values())

    def _snapshot(self) -> LiveStats | None:
        if self._source is None:
            return None
        try:
            return self._source()
        except Exception:
            _log.exception("live stats provider failed; scrape continues without live gauges")
            return None

    @staticmethod
    def _families() -> dict[str, GaugeMetricFamily]:
        return {
            name: GaugeMetricFamily(name, doc, labels=list(labels))
            for name, doc, labels in LIVE_GAUGES
        }


def _fill(families: Mapping[str, GaugeMetricFamily], stats: LiveStats) -> None:
    def put(name: str, value: float, *labels: str) -> None:
        families[name].add_metric(list(labels), value)

    for port, count in sorted(stats.active_connections.items()):
        put("loka_stratum_connections_active", count, str(port))
    put("loka_stratum_connections_max", stats.max_connections)
    put("loka_stratum_workers_authorized", stats.authorized_workers)
    for window, hashrate in sorted(stats.hashrate.items()):
        put("loka_stratum_hashrate", hashrate, window)
    put("loka_stratum_work_source_up", float(stats.work_source_up))
    for upstream, connected in sorted(stats.upstreams_connected.items()):
        put("loka_stratum_upstream_connected", float(connected), upstream)
    put("loka_stratum_db_journal_depth", stats.journal_depth)
    put("loka_stratum_db_pending_shares", stats.pending_shares)
    if stats.db_pool is not None:
        put("loka_stratum_db_connections_active", stats.db_pool.active)
        put("loka_stratum_db_connections_idle", stats.db_pool.idle)
        put("loka_stratum_db_connections_max", stats.db_pool.max)
    put("loka_stratum_banned_ips", stats.banned_ips)
    put("loka_stratum_uptime_seconds", stats.uptime_seconds)
