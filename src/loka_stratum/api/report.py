"""Building `/health` and `/ready` answers from the running pool.

Status rules (an operator's `curl -f` and the orchestrators act on them):

- `unhealthy` (503) when the database does not answer its bounded probe, or
  the work source is down or has not produced a first template: the pool
  cannot do its job.
- `degraded` (200) when it serves but something is off: the source says
  degraded (e.g. ZMQ down, polling), shares are waiting in the local journal
  for the database, or the live metrics could not be read.
- `healthy` otherwise.

Readiness is narrower: a template to build jobs from, a database that
answers, and not shutting down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Final

from loka_stratum.api.checks import CachedCheck
from loka_stratum.api.live_stats import live_stats
from loka_stratum.api.models import (
    Connections,
    DatabaseDetail,
    HealthReport,
    OverallStatus,
    Readiness,
    ReadinessChecks,
    Services,
    ServiceStatus,
    SourceKind,
    UpstreamDetail,
    WorkSourceDetail,
)
from loka_stratum.api.resources import ProcessResources
from loka_stratum.api.subject import HealthSubject
from loka_stratum.observability.loggers import get_logger
from loka_stratum.sources.base import SourceHealth, SourceState
from loka_stratum.storage.batcher import BatcherStats

log = get_logger("loka_stratum.api")

_SOURCE_STATUS: Final[dict[SourceState, ServiceStatus]] = {
    SourceState.STARTING: "starting",
    SourceState.HEALTHY: "healthy",
    SourceState.DEGRADED: "degraded",
    SourceState.DOWN: "unhealthy",
}
_BLOCKING: Final[frozenset[ServiceStatus]] = frozenset({"starting", "unhealthy"})


def format_uptime(seconds: float) -> str:
    """`2d 4h 23m` as the manual shows it; leading zero units dropped, `42s` under a minute."""
    whole = max(int(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def overall_status(services: Services) -> OverallStatus:
    if services.database in _BLOCKING or services.pool_connection in _BLOCKING:
        return "unhealthy"
    if "healthy" == services.database == services.pool_connection == services.metrics:
        return "healthy"
    return "degraded"


def database_status(reachable: bool, batcher: BatcherStats) -> ServiceStatus:
    if not reachable:
        return "unhealthy"
    if not batcher.database_up or batcher.journal_depth:
        return "degraded"
    return "healthy"


class HealthReporter:
    """Answers for `/health`, `/ready` and `/live`; one per served pool."""

    def __init__(
        self,
        subject: HealthSubject,
        *,
        version: str,
        resources: ProcessResources | None = None,
        database_check: CachedCheck | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._subject = subject
        self._version = version
        self._resources = resources or ProcessResources()
        self._database = database_check or CachedCheck(subject.database.health)
        self._clock = clock

    def uptime_seconds(self) -> float:
        return max(self._clock() - self._subject.started_at, 0.0)

    async def health(self) -> HealthReport:
        subject, now = self._subject, self._clock()
        reachable = await self._database()
        batcher = subject.batcher.stats()
        source = subject.source.health()
        services = Services(
            database=database_status(reachable, batcher),
            pool_connection=_SOURCE_STATUS[source.state],
            metrics=self._metrics_status(now),
        )
        context = subject.context
        uptime = self.uptime_seconds()
        return HealthReport(
            status=overall_status(services),
            uptime=format_uptime(uptime),
            uptime_seconds=round(uptime, 3),
            version=self._version,
            mode=subject.settings.mode,
            connections=Connections(
                active=len(context.sessions),
                total=context.counters.connections_total,
                max=context.max_connections,
            ),
            services=services,
            memory_usage=self._resources.memory_rss(),
            cpu_usage=self._resources.cpu_usage(),
            work_source=self._source_detail(source, now),
            database=DatabaseDetail(
                reachable=reachable,
                journal_depth=batcher.journal_depth,
                pending_shares=batcher.pending_shares,
            ),
        )

    async def readiness(self) -> Readiness:
        checks = ReadinessChecks(
            work_source=self._subject.context.has_work,
            database=await self._database(),
            accepting=self._subject.context.accepting,
        )
        reasons = [
            reason
            for ok, reason in (
                (checks.work_source, "work source has no block template yet"),
                (checks.database, "database does not answer"),
                (checks.accepting, "shutting down"),
            )
            if not ok
        ]
        return Readiness(ready=not reasons, reasons=reasons, checks=checks)

    def _metrics_status(self, now: float) -> ServiceStatus:
        """Whether a scrape would carry the live gauges (the provider answers)."""
        try:
            live_stats(self._subject, now)
        except Exception:
            log.exception("Live metrics unavailable", error_type="live_stats_failed")
            return "unhealthy"
        return "healthy"

    def _source_detail(self, health: SourceHealth, now: float) -> WorkSourceDetail:
        last = health.last_template_at
        return WorkSourceDetail(
            kind=self._source_kind(),
            state=health.state,
            detail=health.detail,
            height=health.height,
            last_template_age=None if last is None else round(max(now - last, 0.0), 3),
            upstreams=[UpstreamDetail(**asdict(status)) for status in health.upstreams],
        )

    def _source_kind(self) -> SourceKind:
        settings = self._subject.settings
        return "upstream" if settings.mode == "proxy" else settings.bitcoind.source
