"""The periodic `performance` log record: what the pool did since the last one.

Every `performance.report_interval` (a minute by default) the app samples its
own counters and logs the differences as one record (target `performance`,
message "Performance report", figures under `metrics`), which the manual reads
with `jq 'select(.target=="performance") | {timestamp, message, metrics}'`.
Figures are rates and latencies over the interval, not since start, so a slow
minute shows up in the minute it happened. Latency quantiles come from the
submit histogram's bucket counts, interpolated as `histogram_quantile` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass
from typing import Protocol

from loka_stratum.api.resources import ProcessResources
from loka_stratum.observability.loggers import log_performance
from loka_stratum.storage.batcher import BatcherStats


@dataclass(frozen=True, slots=True)
class Sample:
    """Cumulative counters at one moment (monotonic seconds)."""

    at: float
    submits: int
    accepted: int
    rejected: int
    submit_buckets: tuple[int, ...]
    flushes: float
    flush_seconds: float


def bucket_quantile(q: float, bounds: Sequence[float], counts: Sequence[int]) -> float:
    """The q-quantile of observations in buckets (`counts[i]` at or below `bounds[i]`).

    Linear within the bucket, as Prometheus' `histogram_quantile`; the overflow bucket
    reports the highest finite bound. 0 when there are no observations.
    """
    total = sum(counts)
    if total == 0:
        return 0.0
    rank = q * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            if index >= len(bounds):
                return bounds[-1]
            lower = bounds[index - 1] if index else 0.0
            return lower + (bounds[index] - lower) * (rank - seen) / count
        seen += count
    return bounds[-1]


def figures(before: Sample, after: Sample, bounds: Sequence[float]) -> dict[str, float | int]:
    """The interval's rates and latencies between two samples."""
    elapsed = max(after.at - before.at, 1e-9)
    buckets = [b - a for a, b in zip(before.submit_buckets, after.submit_buckets, strict=True)]
    flushes = after.flushes - before.flushes
    flush_seconds = after.flush_seconds - before.flush_seconds
    return {
        "interval_seconds": round(elapsed, 3),
        "submits_per_second": round((after.submits - before.submits) / elapsed, 3),
        "shares_accepted": after.accepted - before.accepted,
        "shares_rejected": after.rejected - before.rejected,
        "submit_p50_ms": round(bucket_quantile(0.5, bounds, buckets) * 1000, 4),
        "submit_p99_ms": round(bucket_quantile(0.99, bounds, buckets) * 1000, 4),
        "db_flush_ms": round(flush_seconds / flushes * 1000, 3) if flushes else 0.0,
    }


class _Histogram(Protocol):
    @property
    def counts(self) -> list[int]: ...

    @property
    def upper_bounds(self) -> tuple[float, ...]: ...


class _Registry(Protocol):
    def get_sample_value(self, name: str, labels: dict[str, str] | None = None) -> float | None: ...


class _Metrics(Protocol):
    @property
    def submit_seconds(self) -> _Histogram: ...

    @property
    def registry(self) -> _Registry: ...


class _Counters(Protocol):
    @property
    def submits(self) -> int: ...

    @property
    def last_broadcast_seconds(self) -> float: ...


class _Context(Protocol):
    @property
    def counters(self) -> _Counters: ...

    @property
    def sessions(self) -> Sized: ...


class _Sink(Protocol):
    @property
    def accepted(self) -> int: ...

    @property
    def rejected(self) -> int: ...


class _Batcher(Protocol):
    def stats(self) -> BatcherStats: ...


class Resources(Protocol):
    def memory_rss(self) -> int: ...

    def cpu_usage(self) -> float: ...


class PerformanceSubject(Protocol):
    """What the report reads from the running app."""

    @property
    def context(self) -> _Context: ...

    @property
    def metrics(self) -> _Metrics: ...

    @property
    def sink(self) -> _Sink: ...

    @property
    def batcher(self) -> _Batcher: ...


class PerformanceReporter:
    """Samples the app and logs one record per `report()` with the figures since the last."""

    def __init__(
        self,
        app: PerformanceSubject,
        *,
        resources: Resources | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self._resources: Resources = resources or ProcessResources()
        self._monotonic = monotonic
        self._last = self.sample()

    def sample(self) -> Sample:
        app = self.app
        histogram = app.metrics.submit_seconds
        registry = app.metrics.registry
        return Sample(
            at=self._monotonic(),
            submits=app.context.counters.submits,
            accepted=app.sink.accepted,
            rejected=app.sink.rejected,
            submit_buckets=tuple(histogram.counts),
            flushes=registry.get_sample_value("loka_stratum_db_flush_seconds_count") or 0.0,
            flush_seconds=registry.get_sample_value("loka_stratum_db_flush_seconds_sum") or 0.0,
        )

    def report(self) -> dict[str, float | int]:
        """Log the record for the interval just ended and start the next; returns its figures."""
        now = self.sample()
        bounds = self.app.metrics.submit_seconds.upper_bounds[:-1]
        result = figures(self._last, now, bounds)
        self._last = now
        result.update(
            connections=len(self.app.context.sessions),
            broadcast_ms=round(self.app.context.counters.last_broadcast_seconds * 1000, 3),
            journal_depth=self.app.batcher.stats().journal_depth,
            rss_bytes=self._resources.memory_rss(),
            cpu_percent=self._resources.cpu_usage(),
        )
        log_performance(result)
        return result
