"""docs/metrics.md and the registry agree: every metric listed, with its type and labels.

The doc is what operators build dashboards and alerts from; a metric added,
renamed or relabelled in code without the doc (or the reverse) fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from loka_stratum.observability.exposition import render
from loka_stratum.observability.federation_metrics import FederationMetrics
from loka_stratum.observability.live import DbPoolStats, LiveStats
from loka_stratum.observability.metrics import Metrics

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
_ROW = re.compile(r"^\| `(loka_stratum_\w+)` \| ([a-z]+)[^|]*\|([^|]*)\|", re.MULTILINE)
_NAME = re.compile(r"\bloka_stratum_\w+")
_SUFFIXES = ("_bucket", "_sum", "_count")
_GREPS = "\n## The manual's greps"


def exposed() -> dict[str, tuple[str, frozenset[str]]]:
    """Every `loka_stratum_` family as exposed: name (with `_total`) -> (type, label names)."""
    registry = CollectorRegistry()
    metrics = Metrics(registry, version="doc", mode="pool")
    metrics.port(3333)
    metrics.upstream("primary").verdict_seconds(0.1)
    metrics.rpc_call("getblocktemplate", 0.01, ok=True)
    FederationMetrics(registry).link_latency("node-2", 0.001)
    metrics.set_live_source(
        lambda: LiveStats(
            active_connections={3333: 1},
            hashrate={"1m": 1.0},
            upstreams_connected={"primary": True},
            db_pool=DbPoolStats(active=1, idle=1, max=4),
        )
    )
    families = text_string_to_metric_families(render(registry).decode())
    result = {}
    for family in families:
        if not family.name.startswith("loka_stratum_"):
            continue
        name = family.name + "_total" if family.type == "counter" else family.name
        labels = {key for sample in family.samples for key in sample.labels if key != "le"}
        result[name] = (family.type, frozenset(labels))
    return result


def documented() -> dict[str, tuple[str, frozenset[str]]]:
    rows = _ROW.findall(DOC.read_text(encoding="utf-8"))
    return {name: (kind, frozenset(re.findall(r"`(\w+)`", labels))) for name, kind, labels in rows}


def test_every_exposed_metric_is_documented_with_its_type_and_labels() -> None:
    doc = documented()
    for name, (kind, labels) in exposed().items():
        assert name in doc, f"{name} is exposed but missing from docs/metrics.md"
        assert doc[name] == (kind, labels), f"{name}: doc says {doc[name]}, code {(kind, labels)}"


def test_every_documented_metric_is_exposed() -> None:
    assert set(documented()) <= set(exposed())


def test_every_name_in_queries_and_alerts_exists() -> None:
    """The PromQL and alert examples only use names the exposition has.

    Greps are left out (the manual's table, `grep NAME` in prose): they match by prefix,
    which the exposition test checks.
    """
    names = set(exposed())
    series = names | {base + suffix for base in names for suffix in _SUFFIXES}
    text = re.sub(r"grep \S+", "", DOC.read_text(encoding="utf-8"))
    before, _, rest = text.partition(_GREPS)
    used = set(_NAME.findall(before + rest.partition("\n## ")[2]))
    assert used - series == set()
