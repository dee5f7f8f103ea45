"""Pre-bound metric children for the proxy's per-upstream share verdicts.

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
    UPSTREAM_REJECT_REASONS,
)

if TYPE_CHECKING:
    from loka_stratum.observability.metrics import Metrics


class UpstreamMetrics:
    """Counters of one upstream pool (proxy mode): what we forwarded and its verdicts."""

    __slots__ = ("_accepted", "_forwarded", "_latency", "_rejected")

    def __init__(self, metrics: Metrics, upstream: str) -> None:
        self._forwarded = metrics.upstream_shares_forwarded.labels(upstream)
        self._accepted = metrics.upstream_shares_accepted.labels(upstream)
        self._latency = metrics.upstream_submit_seconds.labels(upstream)
        self._rejected: dict[str, Counter] = {
            reason: metrics.upstream_shares_rejected.labels(upstream, reason)
            for reason in UPSTREAM_REJECT_REASONS
        }

    def share_forwarded(self) -> None:
        self._forwarded.inc()

    def verdict_seconds(self, seconds: float) -> None:
        """Time from forwarding a share to the upstream's answer (accepted or rejected)."""
        self._latency.observe(seconds)

    def share_accepted(self) -> None:
        self._accepted.inc()

    def share_rejected(self, reason: str) -> None:
        rejected = self._rejected.get(reason)
        (rejected if rejected is not None else self._rejected[OTHER]).inc()
