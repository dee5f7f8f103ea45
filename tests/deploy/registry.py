"""The series names and labels the program exposes, read from a fresh registry.

Alert rules and dashboards are checked against this, not against a list kept by hand:
renaming a metric in code breaks them, and so must fail their tests.
"""

from __future__ import annotations

from typing import cast

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from loka_stratum.api.health import create_health_app
from loka_stratum.api.report import HealthReporter
from loka_stratum.observability.exposition import render
from loka_stratum.observability.live import DbPoolStats, LiveStats
from loka_stratum.observability.metrics import Metrics

TARGET_LABELS = frozenset({"job", "instance"})
"""Labels Prometheus attaches to every scraped series."""
SYNTHETIC = {"up": TARGET_LABELS}
"""Series Prometheus makes per scrape target."""


def exposed_series() -> dict[str, frozenset[str]]:
    """Every sample name in the exposition (``_total``, ``_bucket``... included) -> labels."""
    registry = CollectorRegistry()
    metrics = Metrics(registry, version="t", mode="pool")
    metrics.port(3333)
    metrics.upstream("primary").verdict_seconds(0.1)
    metrics.rpc_call("getblocktemplate", 0.01, ok=True)
    metrics.set_live_source(
        lambda: LiveStats(
            active_connections={3333: 1},
            hashrate={"1m": 1.0},
            upstreams_connected={"primary": True},
            db_pool=DbPoolStats(active=1, idle=1, max=4),
        )
    )
    labels: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(render(registry).decode()):
        for sample in family.samples:
            labels.setdefault(sample.name, set()).update(sample.labels)
    series = {name: frozenset(keys) | TARGET_LABELS for name, keys in labels.items()}
    return series | SYNTHETIC


def health_paths() -> set[str]:
    """The GET paths the :9090 app serves (the reporter is not called to list them)."""
    app = create_health_app(cast(HealthReporter, object()), CollectorRegistry(), version="t")
    return {path for route in app.routes if isinstance(path := getattr(route, "path", None), str)}
