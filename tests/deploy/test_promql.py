"""The PromQL reader the monitoring checks rely on finds names, and only names."""

from __future__ import annotations

from tests.deploy.promql import usage


def test_reads_metrics_through_functions_ranges_and_grouping() -> None:
    found = usage(
        "histogram_quantile(0.99, sum by (instance, le) "
        "(rate(loka_stratum_submit_seconds_bucket[$__rate_interval]))) > 1e-3"
    )
    assert found.metrics == {"loka_stratum_submit_seconds_bucket"}
    assert found.grouped == {"instance", "le"}


def test_reads_selectors_and_ignores_label_values() -> None:
    found = usage(
        'sum(rate(loka_stratum_shares_rejected_total{reason="stale", code!="21"}[5m])) '
        "/ sum(rate(loka_stratum_shares_submitted_total[5m])) * 4294967296"
    )
    assert found.metrics == {
        "loka_stratum_shares_rejected_total",
        "loka_stratum_shares_submitted_total",
    }
    assert found.selected == {
        ("loka_stratum_shares_rejected_total", "reason"),
        ("loka_stratum_shares_rejected_total", "code"),
    }


def test_a_misspelt_name_is_reported_as_used() -> None:
    found = usage("a_metric == 0 and on (job) up{job='x'} or vector(1)")
    assert found.metrics == {"a_metric", "up"}
    assert found.grouped == {"job"}
