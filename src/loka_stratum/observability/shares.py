"""Pre-bound metric children for the per-share path.

`labels(...)` hashes the label values and takes the metric's lock on every
call; a share path that runs tens of thousands of times a second should not
pay that. `PortMetrics` and `UpstreamMetrics` bind their children once (every
reject reason included) and then only increment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter

from loka_stratum.observability.metric_labels import (
    OTHER,
    REJECT_REASONS,
    UPSTREAM_REJECT_REASONS,
)

if TYPE_CHECKING:
    from loka_stratum.observability.live import RateWindow
    from loka_stratum.observability.metrics import Metrics


class PortMetrics:
    """Counters of one listening port: connections and the share verdicts."""

    __slots__ = ("_accepted", "_connections", "_difficulty", "_rate", "_rejected", "_submitted")

    def __init__(self, metrics: Metrics, port: int, connection_rate: RateWindow) -> None:
        label = str(port)
        self._connections = metrics.connections.labels(label)
        self._submitted = metrics.shares_submitted.labels(label)
        self._accepted = metrics.shares_accepted.labels(label)
        self._difficulty = metrics.share_difficulty.labels(label)
        self._rejected: dict[str, Counter] = {
            reason: metrics.shares_rejected.labels(label, reason) for reason in REJECT_REASONS
        }
        self._rate = connection_rate

    def connection_accepted(self) -> None:
        self._connections.inc()
        self._rate.mark()

    def share_accepted(self, difficulty: float) -> None:
        """A valid share credited at `difficulty` (the session's, not the share's own)."""
        self._submitted.inc()
        self._accepted.inc()
        self._difficulty.inc(difficulty)

    def share_rejected(self, reason: str) -> None:
        """A rejected share; `reason` is a `RejectReason.label`, anything else counts as other."""
        self._submitted.inc()
        rejected = self._rejected.get(reason)
        (rejected if rejected is not None else self._rejected[OTHER]).inc()


class UpstreamMetrics:
    """Counters of one upstream pool (proxy mode): what we forwarded and its verdicts."""

    __slots__ = ("_accepted", "_forwarded", "_rejected")

    def __init__(self, metrics: Metrics, upstream: str) -> None:
        self._forwarded = metrics.upstream_shares_forwarded.labels(upstream)
        self._accepted = metrics.upstream_shares_accepted.labels(upstream)
        self._rejected: dict[str, Counter] = {
            reason: metrics.upstream_shares_rejected.labels(upstream, reason)
            for reason in UPSTREAM_REJECT_REASONS
        }

    def share_forwarded(self) -> None:
        self._forwarded.inc()

    def share_accepted(self) -> None:
        self._accepted.inc()

    def share_rejected(self, reason: str) -> None:
        rejected = self._rejected.get(reason)
        (rejected if rejected is not None else self._rejected[OTHER]).inc()
