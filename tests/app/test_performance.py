"""The periodic performance record: interval figures from the app's own counters."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from loka_stratum.app.performance import PerformanceReporter, Sample, bucket_quantile, figures
from loka_stratum.observability.metrics import Metrics
from loka_stratum.observability.names import PERFORMANCE_MESSAGE
from loka_stratum.storage.batcher import BatcherStats

BOUNDS = (0.001, 0.002, 0.004)


def test_quantile_interpolates_within_a_bucket() -> None:
    assert bucket_quantile(0.5, BOUNDS, [0, 10, 0, 0]) == 0.0015
    assert bucket_quantile(0.5, BOUNDS, [10, 0, 0, 0]) == 0.0005
    assert bucket_quantile(0.99, BOUNDS, [0, 0, 0, 3]) == 0.004  # overflow: highest bound
    assert bucket_quantile(0.5, BOUNDS, [0, 0, 0, 0]) == 0.0


@given(st.lists(st.integers(0, 1000), min_size=4, max_size=4), st.floats(0.01, 0.99))
def test_quantile_is_monotonic_and_within_the_buckets(counts: list[int], q: float) -> None:
    low = bucket_quantile(q / 2, BOUNDS, counts)
    high = bucket_quantile(q, BOUNDS, counts)
    assert 0.0 <= low <= high <= BOUNDS[-1]


def sample(at: float, submits: int, buckets: tuple[int, ...], flushes: float = 0.0) -> Sample:
    return Sample(
        at=at,
        submits=submits,
        accepted=submits - 1 if submits else 0,
        rejected=1 if submits else 0,
        submit_buckets=buckets,
        flushes=flushes,
        flush_seconds=flushes * 0.02,
    )


def test_figures_are_differences_over_the_interval() -> None:
    before = sample(100.0, 0, (0, 0, 0, 0))
    after = sample(160.0, 120, (100, 20, 0, 0), flushes=4)
    result = figures(before, after, BOUNDS)
    assert result["interval_seconds"] == 60.0
    assert result["submits_per_second"] == 2.0
    assert result["shares_accepted"] == 119 and result["shares_rejected"] == 1
    assert result["submit_p50_ms"] == 0.6
    assert 1.0 < float(result["submit_p99_ms"]) <= 2.0
    assert result["db_flush_ms"] == 20.0


@dataclass
class Counters:
    submits: int = 0
    last_broadcast_seconds: float = 0.0012


@dataclass
class Context:
    counters: Counters = field(default_factory=Counters)
    sessions: set[object] = field(default_factory=set)


@dataclass
class Sink:
    accepted: int = 0
    rejected: int = 0


class Batcher:
    def stats(self) -> BatcherStats:
        return BatcherStats(
            pending_shares=0,
            journal_depth=3,
            last_flush_seconds=0.01,
            flushes=1,
            skipped=0,
            failures=0,
            journaled=0,
            replayed=0,
            shares_committed=29,
            database_up=True,
        )


class Resources:
    def memory_rss(self) -> int:
        return 123_456

    def cpu_usage(self) -> float:
        return 12.5


@dataclass
class App:
    metrics: Metrics
    context: Context = field(default_factory=Context)
    sink: Sink = field(default_factory=Sink)
    batcher: Batcher = field(default_factory=Batcher)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_reporter_logs_one_record_with_the_key_figures() -> None:
    metrics = Metrics(CollectorRegistry(), version="t", mode="pool")
    app = App(metrics)
    clock = Clock()
    reporter = PerformanceReporter(app, resources=Resources(), monotonic=clock)
    for _ in range(30):
        metrics.submit_seconds.observe(0.00003)
    app.context.counters.submits = 30
    app.sink.accepted, app.sink.rejected = 29, 1
    app.context.sessions.update({object(), object()})
    metrics.db_flush(29, 0.01)
    clock.now = 10.0
    with capture_logs() as events:
        reporter.report()
    (event,) = events
    assert event["event"] == PERFORMANCE_MESSAGE and event["log_level"] == "info"
    figures = event["metrics"]
    assert figures["submits_per_second"] == 3.0
    assert figures["shares_accepted"] == 29 and figures["shares_rejected"] == 1
    assert 0.025 < figures["submit_p50_ms"] <= 0.05
    assert figures["connections"] == 2 and figures["broadcast_ms"] == 1.2
    assert figures["db_flush_ms"] == 10.0 and figures["journal_depth"] == 3
    assert figures["rss_bytes"] == 123_456 and figures["cpu_percent"] == 12.5
    clock.now = 20.0
    assert reporter.report()["submits_per_second"] == 0.0  # the next interval starts afresh
