"""Every metric loka-stratum exposes, built on the registry it is given.

`Metrics(registry, ...)` registers the event counters and histograms, the live
collector (gauges read at scrape time, see `live`), build info and the
process/platform/GC collectors, all on that one registry: tests build a fresh
`CollectorRegistry`, the app builds one and serves it. Names start with
`loka_stratum_`; counters get `_total` from prometheus_client, which keeps the
manual's greps matching (`grep loka_stratum_shares_accepted` finds
`loka_stratum_shares_accepted_total{port="3333"} 42.0`). docs/metrics.md lists
them all with the PromQL operators use.

Updates go through methods that keep labels inside their vocabularies
(`metric_labels`). The per-share path uses `port(port)`, whose children are
bound once per port so an accepted share costs three plain increments.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.gc_collector import GCCollector

from loka_stratum.observability import metric_labels as lb
from loka_stratum.observability.hotpath import HotPathCollector, LocalHistogram, PortMetrics
from loka_stratum.observability.live import LiveCollector, LiveSource, RateWindow
from loka_stratum.observability.shares import UpstreamMetrics

Mode = Literal["pool", "proxy"]
_P = "loka_stratum_"


class Metrics:
    """The metric set of one process; every update method is safe from any thread."""

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        version: str,
        mode: Mode,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self._ports: dict[int, PortMetrics] = {}
        self._upstreams: dict[str, UpstreamMetrics] = {}
        self._connection_rate = RateWindow(clock)
        self._live = LiveCollector(self._connection_rate)

        def counter(name: str, doc: str, *labels: str) -> Counter:
            return Counter(_P + name, doc, labels, registry=registry)

        def gauge(name: str, doc: str, *labels: str) -> Gauge:
            return Gauge(_P + name, doc, labels, registry=registry)

        def histogram(name: str, doc: str, buckets: tuple[float, ...], *labels: str) -> Histogram:
            return Histogram(_P + name, doc, labels, registry=registry, buckets=buckets)

        self.connections_closed = counter("connections_closed", "Connections closed.", "reason")
        self.connection_errors = counter(
            "connection_errors", "Socket, TLS and PROXY-header errors.", "error_type"
        )
        self.protocol_errors = counter(
            "protocol_errors", "Stratum protocol errors from miners.", "error_type"
        )
        self.blocks_found = counter("blocks_found", "Block candidates by outcome.", "result")
        self.jobs_distributed = counter("jobs_distributed", "Jobs broadcast to miners.", "clean")
        self.job_broadcast_seconds = histogram(
            "job_broadcast_seconds",
            "Template arrival to last session written.",
            lb.JOB_BROADCAST_BUCKETS,
        )
        self.submit_seconds = LocalHistogram(_P + "submit_seconds", lb.SUBMIT_BUCKETS)
        registry.register(HotPathCollector(self._ports, self.submit_seconds))
        self.template_updates = counter("template_updates", "Block templates received.", "kind")
        self.rpc_seconds = histogram(
            "rpc_seconds", "bitcoind JSON-RPC call latency.", lb.RPC_BUCKETS, "method"
        )
        self.rpc_errors = counter("rpc_errors", "bitcoind JSON-RPC calls that failed.", "method")
        self.submitblock = counter("submitblock", "submitblock verdicts from bitcoind.", "verdict")
        self.upstream_shares_forwarded = counter(
            "upstream_shares_forwarded", "Shares forwarded upstream.", "upstream"
        )
        self.upstream_shares_accepted = counter(
            "upstream_shares_accepted", "Forwarded shares the upstream accepted.", "upstream"
        )
        self.upstream_shares_rejected = counter(
            "upstream_shares_rejected",
            "Forwarded shares the upstream rejected.",
            "upstream",
            "reason",
        )
        self.upstream_submit_seconds = histogram(
            "upstream_submit_seconds",
            "Forwarded share to the upstream's verdict (the upstream's RPC latency).",
            lb.RPC_BUCKETS,
            "upstream",
        )
        self.upstream_failovers = counter("upstream_failovers", "Switches to another upstream.")
        self.db_flush_seconds = histogram(
            "db_flush_seconds", "Share batch flush latency.", lb.DB_FLUSH_BUCKETS
        )
        self.db_shares_flushed = counter("db_shares_flushed", "Shares written to the database.")
        self.db_errors = counter("db_errors", "Database operations that failed.", "operation")
        self.bans = counter("bans", "IP bans imposed.", "reason")
        self.rate_limit_hits = counter("rate_limit_hits", "Requests refused by a limit.", "scope")
        self.build_info = gauge("build_info", "Version and mode of this build.", "version", "mode")
        self.build_info.labels(version=version, mode=mode).set(1)
        self._zero_vocabularies()
        registry.register(self._live)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)

    def _zero_vocabularies(self) -> None:
        """Create every series of a closed vocabulary at 0, so `rate()` and greps work from boot."""
        vocabularies: list[tuple[Counter, tuple[str, ...]]] = [
            (self.connections_closed, lb.CLOSE_REASONS),
            (self.connection_errors, lb.CONNECTION_ERROR_TYPES),
            (self.protocol_errors, lb.PROTOCOL_ERROR_TYPES),
            (self.blocks_found, lb.BLOCK_RESULTS),
            (self.jobs_distributed, lb.CLEAN_FLAGS),
            (self.template_updates, lb.TEMPLATE_UPDATE_KINDS),
            (self.rpc_errors, lb.RPC_METHODS),
            (self.submitblock, lb.SUBMITBLOCK_VERDICTS),
            (self.db_errors, lb.DB_OPERATIONS),
            (self.bans, lb.BAN_REASONS),
            (self.rate_limit_hits, lb.RATE_LIMIT_SCOPES),
        ]
        for counter, values in vocabularies:
            for value in values:
                counter.labels(value)

    def set_live_source(self, source: LiveSource) -> None:
        """Register the provider of live state, called once per scrape."""
        self._live.set_source(source)

    def port(self, port: int) -> PortMetrics:
        """The pre-bound per-port children: cache the result per listener or session."""
        bound = self._ports.get(port)
        if bound is None:
            bound = self._ports.setdefault(port, PortMetrics(port, self._connection_rate.mark))
        return bound

    def upstream(self, name: str) -> UpstreamMetrics:
        """The pre-bound children for one configured upstream pool."""
        bound = self._upstreams.get(name)
        if bound is None:
            bound = self._upstreams.setdefault(name, UpstreamMetrics(self, name))
        return bound

    def connection_closed(self, reason: str) -> None:
        self.connections_closed.labels(lb.bounded(reason, lb.CLOSE_REASONS)).inc()

    def connection_error(self, error_type: str) -> None:
        self.connection_errors.labels(lb.bounded(error_type, lb.CONNECTION_ERROR_TYPES)).inc()

    def protocol_error(self, error_type: str) -> None:
        self.protocol_errors.labels(lb.bounded(error_type, lb.PROTOCOL_ERROR_TYPES)).inc()

    def block_found(self, result: lb.BlockResult) -> None:
        self.blocks_found.labels(result).inc()

    def job_distributed(self, *, clean: bool, seconds: float) -> None:
        """One job broadcast to every session, `seconds` after its template arrived."""
        self.jobs_distributed.labels(lb.CLEAN_FLAGS[0] if clean else lb.CLEAN_FLAGS[1]).inc()
        self.job_broadcast_seconds.observe(seconds)

    def template_update(self, kind: lb.TemplateUpdateKind) -> None:
        self.template_updates.labels(kind).inc()

    def rpc_call(self, method: str, seconds: float, *, ok: bool) -> None:
        label = lb.bounded(method, lb.RPC_METHODS)
        self.rpc_seconds.labels(label).observe(seconds)
        if not ok:
            self.rpc_errors.labels(label).inc()

    def submitblock_verdict(self, verdict: str) -> None:
        """bitcoind's BIP22 answer (`accepted` for null), or `error` when there was none."""
        self.submitblock.labels(lb.bounded(verdict, lb.SUBMITBLOCK_VERDICTS, "rejected")).inc()

    def upstream_failover(self) -> None:
        self.upstream_failovers.inc()

    def db_flush(self, shares: int, seconds: float) -> None:
        self.db_shares_flushed.inc(shares)
        self.db_flush_seconds.observe(seconds)

    def db_error(self, operation: str) -> None:
        self.db_errors.labels(lb.bounded(operation, lb.DB_OPERATIONS)).inc()

    def ban(self, reason: str) -> None:
        self.bans.labels(lb.bounded(reason, lb.BAN_REASONS)).inc()

    def rate_limited(self, scope: lb.RateLimitScope) -> None:
        self.rate_limit_hits.labels(scope).inc()
