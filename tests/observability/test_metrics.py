"""Metric definitions: one registry, bounded labels, pre-bound hot path, live gauges."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from loka_stratum.mining.validator import RejectReason
from loka_stratum.observability.exposition import CONTENT_TYPE, render
from loka_stratum.observability.live import DbPoolStats, LiveStats, RateWindow
from loka_stratum.observability.metric_labels import REJECT_REASONS, reject_code
from loka_stratum.observability.metrics import Metrics
from loka_stratum.protocol import StratumErrorCode


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def build(clock: FakeClock | None = None) -> tuple[Metrics, CollectorRegistry]:
    registry = CollectorRegistry()
    metrics = Metrics(registry, version="1.2.3", mode="pool", clock=clock or FakeClock())
    return metrics, registry


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_everything_lands_on_the_given_registry_and_parses() -> None:
    _, registry = build()
    families = list(text_string_to_metric_families(render(registry).decode()))
    ours = [f.name for f in families if f.name.startswith("loka_stratum_")]
    assert len(ours) == len(set(ours)) > 40
    assert {f.name for f in families} >= {"process_cpu_seconds", "python_info"}


def test_a_second_metric_set_on_the_same_registry_clashes() -> None:
    metrics, registry = build()
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        Metrics(registry, version="x", mode="proxy")
    assert metrics.registry is registry


def test_build_info() -> None:
    _, registry = build()
    assert value(registry, "loka_stratum_build_info", version="1.2.3", mode="pool") == 1.0


def test_share_verdicts_per_port() -> None:
    metrics, registry = build()
    port = metrics.port(3333)
    port.share_accepted(1024.0)
    port.share_accepted(2048.0)
    port.share_rejected("stale")
    port.share_rejected("low-difficulty")
    assert value(registry, "loka_stratum_shares_submitted_total", port="3333") == 4
    assert value(registry, "loka_stratum_shares_accepted_total", port="3333") == 2
    assert value(registry, "loka_stratum_share_difficulty_total", port="3333") == 3072
    for reason, code, count in [
        ("stale", "21", 1),
        ("low-difficulty", "23", 1),
        ("duplicate", "22", 0),
    ]:
        labels = {"port": "3333", "reason": reason, "code": code}
        assert value(registry, "loka_stratum_shares_rejected_total", **labels) == count


def test_unknown_reject_reason_is_counted_as_other() -> None:
    metrics, registry = build()
    metrics.port(3334).share_rejected("made-up")
    other = {"port": "3334", "reason": "other", "code": "20"}
    assert value(registry, "loka_stratum_shares_rejected_total", **other) == 1
    made_up = {**other, "reason": "made-up"}
    assert value(registry, "loka_stratum_shares_rejected_total", **made_up) is None


def test_port_children_are_bound_once_with_every_reason_at_zero() -> None:
    metrics, registry = build()
    assert metrics.port(3333) is metrics.port(3333)
    for reason in REJECT_REASONS:
        labels = {"port": "3333", "reason": reason, "code": reject_code(reason)}
        assert value(registry, "loka_stratum_shares_rejected_total", **labels) == 0
    assert value(registry, "loka_stratum_connections_total", port="3333") == 0


def test_bounded_labels_fall_back_to_other() -> None:
    metrics, registry = build()
    metrics.connection_error("EPIPE-weird")
    metrics.connection_error("timeout")
    metrics.protocol_error("line-too-long")
    metrics.connection_closed("idle-timeout")
    metrics.db_error("vacuum")
    metrics.ban("invalid-shares")
    metrics.rpc_call("getrawmempool", 0.01, ok=False)
    assert value(registry, "loka_stratum_connection_errors_total", error_type="other") == 1
    assert value(registry, "loka_stratum_connection_errors_total", error_type="timeout") == 1
    assert value(registry, "loka_stratum_protocol_errors_total", error_type="line-too-long") == 1
    assert value(registry, "loka_stratum_connections_closed_total", reason="idle-timeout") == 1
    assert value(registry, "loka_stratum_db_errors_total", operation="other") == 1
    assert value(registry, "loka_stratum_bans_total", reason="invalid-shares") == 1
    assert value(registry, "loka_stratum_rpc_errors_total", method="other") == 1
    assert value(registry, "loka_stratum_rpc_seconds_count", method="other") == 1


@pytest.mark.parametrize(
    ("verdict", "label"),
    [
        ("accepted", "accepted"),
        ("duplicate", "duplicate"),
        ("inconclusive", "inconclusive"),
        ("high-hash", "rejected"),
        ("bad-txnmrklroot", "rejected"),
        ("error", "error"),
    ],
)
def test_submitblock_verdicts(verdict: str, label: str) -> None:
    metrics, registry = build()
    metrics.submitblock_verdict(verdict)
    assert value(registry, "loka_stratum_submitblock_total", verdict=label) == 1


def test_jobs_and_latencies() -> None:
    metrics, registry = build()
    metrics.job_distributed(clean=True, seconds=0.0004)
    metrics.job_distributed(clean=False, seconds=0.003)
    metrics.submit_seconds.observe(0.00002)
    assert value(registry, "loka_stratum_jobs_distributed_total", clean="true") == 1
    assert value(registry, "loka_stratum_jobs_distributed_total", clean="false") == 1
    assert value(registry, "loka_stratum_job_broadcast_seconds_bucket", le="0.0005") == 1
    assert value(registry, "loka_stratum_job_broadcast_seconds_bucket", le="0.005") == 2
    assert value(registry, "loka_stratum_submit_seconds_bucket", le="2.5e-05") == 1


def test_histogram_bucket_ranges() -> None:
    metrics, _ = build()
    assert metrics.job_broadcast_seconds._upper_bounds[0] == 0.0001
    assert metrics.job_broadcast_seconds._upper_bounds[-2] == 2.0
    assert metrics.submit_seconds.upper_bounds[0] == 0.00001
    assert metrics.submit_seconds.upper_bounds[-2] == 0.1


def test_work_source_upstream_database_bans() -> None:
    metrics, registry = build()
    metrics.template_update("new-block")
    metrics.block_found("accepted")
    upstream = metrics.upstream("primary")
    upstream.share_forwarded()
    upstream.share_accepted()
    upstream.share_rejected("duplicate")
    upstream.share_rejected("weird")
    upstream.verdict_seconds(0.04)
    metrics.upstream_failover()
    metrics.db_flush(250, 0.02)
    metrics.rate_limited("connection")
    assert value(registry, "loka_stratum_template_updates_total", kind="new-block") == 1
    assert value(registry, "loka_stratum_blocks_found_total", result="accepted") == 1
    labels = {"upstream": "primary"}
    assert value(registry, "loka_stratum_upstream_shares_forwarded_total", **labels) == 1
    assert value(registry, "loka_stratum_upstream_shares_accepted_total", **labels) == 1
    for reason in ("duplicate", "other"):
        assert (
            value(registry, "loka_stratum_upstream_shares_rejected_total", **labels, reason=reason)
            == 1
        )
    assert value(registry, "loka_stratum_upstream_submit_seconds_count", **labels) == 1
    assert value(registry, "loka_stratum_upstream_failovers_total") == 1
    assert value(registry, "loka_stratum_db_shares_flushed_total") == 250
    assert value(registry, "loka_stratum_db_flush_seconds_count") == 1
    assert value(registry, "loka_stratum_rate_limit_hits_total", scope="connection") == 1


def test_live_gauges_are_read_at_scrape_time() -> None:
    metrics, registry = build()
    state = {"active": 5}
    metrics.set_live_source(
        lambda: LiveStats(
            uptime_seconds=42.0,
            active_connections={3333: state["active"], 3334: 1},
            max_connections=65000,
            authorized_workers=4,
            hashrate={"5m": 1.2e15},
            work_source_up=True,
            upstreams_connected={"primary": True, "backup": False},
            journal_depth=7,
            pending_shares=3,
            db_pool=DbPoolStats(active=2, idle=8, max=20),
            banned_ips=9,
        )
    )
    assert value(registry, "loka_stratum_connections_active", port="3333") == 5
    state["active"] = 6
    assert value(registry, "loka_stratum_connections_active", port="3333") == 6
    expected = {
        "loka_stratum_live_source_up": 1,
        "loka_stratum_uptime_seconds": 42,
        "loka_stratum_connections_max": 65000,
        "loka_stratum_workers_authorized": 4,
        "loka_stratum_work_source_up": 1,
        "loka_stratum_db_journal_depth": 7,
        "loka_stratum_db_pending_shares": 3,
        "loka_stratum_db_connections_active": 2,
        "loka_stratum_db_connections_idle": 8,
        "loka_stratum_db_connections_max": 20,
        "loka_stratum_banned_ips": 9,
    }
    for name, expected_value in expected.items():
        assert value(registry, name) == expected_value, name
    assert value(registry, "loka_stratum_hashrate", window="5m") == 1.2e15
    assert value(registry, "loka_stratum_upstream_connected", upstream="backup") == 0


def test_without_a_live_source_only_the_rate_and_source_state_are_served() -> None:
    _, registry = build()
    assert value(registry, "loka_stratum_live_source_up") == 0
    assert value(registry, "loka_stratum_connections_rate") == 0
    assert value(registry, "loka_stratum_uptime_seconds") is None


def test_a_failing_live_source_does_not_break_the_scrape(caplog: pytest.LogCaptureFixture) -> None:
    metrics, registry = build()

    def broken() -> LiveStats:
        raise RuntimeError("session table locked")

    metrics.set_live_source(broken)
    with caplog.at_level(logging.ERROR, logger="loka_stratum.observability"):
        text = render(registry).decode()
    assert "loka_stratum_live_source_up 0.0" in text
    assert "loka_stratum_shares_accepted_total" in text
    assert "live stats provider failed" in caplog.text


def test_connection_rate_over_the_last_minute() -> None:
    clock = FakeClock(5000.0)
    metrics, registry = build(clock)
    port = metrics.port(3333)
    for _ in range(60):
        for _ in range(2):
            port.connection_accepted()
        clock.now += 1
    assert value(registry, "loka_stratum_connections_total", port="3333") == 120
    assert value(registry, "loka_stratum_connections_rate") == pytest.approx(118 / 60)
    clock.now += 30
    assert value(registry, "loka_stratum_connections_rate") == pytest.approx(58 / 60)
    clock.now += 60
    assert value(registry, "loka_stratum_connections_rate") == 0


def test_rate_window_reuses_slots_after_a_long_gap() -> None:
    clock = FakeClock(0.0)
    window = RateWindow(clock, span=10)
    window.mark()
    clock.now = 10.5
    window.mark()
    window.mark()
    assert window.rate() == pytest.approx(2 / 10)


def test_render_drops_created_series_and_names_its_content_type() -> None:
    metrics, registry = build()
    metrics.port(3333).share_accepted(1.0)
    text = render(registry).decode()
    assert "_created" not in text
    assert 'loka_stratum_shares_accepted_total{port="3333"} 1.0' in text
    assert CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"


def test_no_label_names_a_miner_or_an_address() -> None:
    _, registry = build()
    allowed = {
        "port", "reason", "error_type", "result", "clean", "kind", "method", "verdict",
        "upstream", "operation", "scope", "version", "mode", "window", "le",
    }  # fmt: skip
    for family in text_string_to_metric_families(render(registry).decode()):
        if family.name.startswith("loka_stratum_"):
            for sample in family.samples:
                assert set(sample.labels) <= allowed, sample


def test_hot_path_counters_are_exported_under_the_standard_names() -> None:
    metrics, registry = build()
    port = metrics.port(3335)
    port.connection_accepted()
    port.share_accepted(0.5)
    port.share_rejected("duplicate")
    for seconds in (0.00001, 0.0003, 5.0):
        metrics.submit_seconds.observe(seconds)
    assert value(registry, "loka_stratum_connections_total", port="3335") == 1
    assert value(registry, "loka_stratum_shares_submitted_total", port="3335") == 2
    assert value(registry, "loka_stratum_share_difficulty_total", port="3335") == 0.5
    assert value(registry, "loka_stratum_submit_seconds_bucket", le="1e-05") == 1
    assert value(registry, "loka_stratum_submit_seconds_bucket", le="+Inf") == 3
    assert value(registry, "loka_stratum_submit_seconds_count") == 3
    assert value(registry, "loka_stratum_submit_seconds_sum") == pytest.approx(5.00031)


def test_reject_codes_are_what_the_validator_answers() -> None:
    """The `code` label says what the miner was told, for every reason the validator has."""
    for reason in RejectReason:
        assert reject_code(reason.label) == str(int(reason.code))
    assert reject_code("unauthorized") == str(int(StratumErrorCode.UNAUTHORIZED))
    assert reject_code("not-subscribed") == str(int(StratumErrorCode.NOT_SUBSCRIBED))
    assert reject_code("other") == str(int(StratumErrorCode.OTHER))
