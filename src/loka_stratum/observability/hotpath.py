"""Counters for the per-share path: plain numbers, exported at scrape time.

prometheus_client guards every increment with a lock (about 1.5 us each
here). A submit touches four series, which made metrics a fifth of the cost
of handling a share. These counters are plain attributes updated only from
the event-loop thread; `HotPathCollector` turns them into ordinary counter
and histogram families when Prometheus scrapes, under the same names.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

from loka_stratum.observability.metric_labels import OTHER, REJECT_REASONS, reject_code

_P = "loka_stratum_"


class PortMetrics:
    """Counts of one listening port: connections and share verdicts (event-loop thread only)."""

    __slots__ = ("_mark", "accepted", "connections", "difficulty", "port", "rejected", "submitted")

    def __init__(self, port: int, mark_connection: Callable[[], None]) -> None:
        self.port = port
        self._mark = mark_connection
        self.connections = 0
        self.submitted = 0
        self.accepted = 0
        self.difficulty = 0.0
        self.rejected = dict.fromkeys(REJECT_REASONS, 0)

    def connection_accepted(self) -> None:
        self.connections += 1
        self._mark()

    def share_accepted(self, difficulty: float) -> None:
        """A valid share credited at `difficulty` (the session's, not the share's own)."""
        self.submitted += 1
        self.accepted += 1
        self.difficulty += difficulty

    def share_rejected(self, reason: str) -> None:
        """A rejected share; `reason` is a `RejectReason.label`, anything else counts as other."""
        self.submitted += 1
        rejected = self.rejected
        rejected[reason if reason in rejected else OTHER] += 1


class LocalHistogram:
    """A histogram with fixed buckets: `observe` is a bisect and two additions."""

    __slots__ = ("_bounds", "counts", "name", "sum")

    def __init__(self, name: str, bounds: Sequence[float]) -> None:
        self.name = name
        self._bounds = tuple(bounds)
        self.counts = [0] * (len(self._bounds) + 1)
        self.sum = 0.0

    @property
    def upper_bounds(self) -> tuple[float, ...]:
        return (*self._bounds, float("inf"))

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self._bounds, value)] += 1
        self.sum += value

    def family(self, documentation: str) -> HistogramMetricFamily:
        buckets, total = [], 0
        for bound, count in zip(self.upper_bounds, self.counts, strict=True):
            total += count
            buckets.append((_le(bound), total))
        family = HistogramMetricFamily(self.name, documentation)
        family.add_metric([], buckets, self.sum)
        return family


def _le(bound: float) -> str:
    """The `le` label as prometheus_client writes it (Go's float formatting)."""
    return str(floatToGoString(bound))  # type: ignore[no-untyped-call]


class HotPathCollector:
    """Exports every `PortMetrics` and the submit-latency histogram at scrape time."""

    def __init__(self, ports: dict[int, PortMetrics], submit_seconds: LocalHistogram) -> None:
        self._ports = ports
        self._submit = submit_seconds

    def describe(self) -> Iterator[Metric]:
        return iter(self._families(()))

    def collect(self) -> Iterator[Metric]:
        return iter(self._families(tuple(self._ports.values())))

    def _families(self, ports: Sequence[PortMetrics]) -> list[Metric]:
        def counter(name: str, doc: str, labels: list[str]) -> CounterMetricFamily:
            return CounterMetricFamily(_P + name, doc, labels=labels)

        connections = counter("connections", "Miner connections accepted.", ["port"])
        submitted = counter("shares_submitted", "mining.submit received.", ["port"])
        accepted = counter("shares_accepted", "Shares accepted.", ["port"])
        rejected = counter(
            "shares_rejected",
            "Shares rejected, by reason and Stratum code.",
            ["port", "reason", "code"],
        )
        difficulty = counter(
            "share_difficulty", "Sum of accepted share difficulty; x 2^32 = hashes.", ["port"]
        )
        for port in ports:
            label = str(port.port)
            connections.add_metric([label], port.connections)
            submitted.add_metric([label], port.submitted)
            accepted.add_metric([label], port.accepted)
            difficulty.add_metric([label], port.difficulty)
            for reason, count in port.rejected.items():
                rejected.add_metric([label, reason, reject_code(reason)], count)
        latency = self._submit.family("Time to handle one mining.submit.")
        return [connections, submitted, accepted, rejected, difficulty, latency]
