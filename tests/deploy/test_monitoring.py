"""deploy/monitoring: Prometheus, alert rules, Grafana, Loki/promtail, Alertmanager.

Every metric and label the rules and the dashboard use must exist in the program's
registry; every file one service reads from another must be where it is mounted.
"""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.files import CONFIG, MONITORING, load_yaml, validate_config
from tests.deploy.promql import usage
from tests.deploy.registry import exposed_series, health_paths

SERIES = exposed_series()
DASHBOARD = MONITORING / "grafana" / "dashboards" / "loka-stratum.json"


def alert_rules() -> list[dict[str, Any]]:
    groups = load_yaml(MONITORING / "alerts.yml")["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_targets(datasource_type: str) -> list[dict[str, Any]]:
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    return [
        target
        for panel in panels
        for target in panel["targets"]
        if target["datasource"]["type"] == datasource_type
    ]


def unknown_names(expr: str) -> list[str]:
    """Metrics missing from the registry and labels none of the expression's metrics has."""
    found = usage(expr)
    problems = sorted(name for name in found.metrics if name not in SERIES)
    known = {label for name in found.metrics for label in SERIES.get(name, ())} | {"le"}
    problems += [f"{name}{{{label}}}" for name, label in found.selected if label not in known]
    problems += [f"by ({label})" for label in found.grouped if label not in known]
    if not found.metrics:
        problems.append("no metric at all")
    return problems


ALERT_EXPRS = [pytest.param(rule["expr"], id=rule["alert"]) for rule in alert_rules()]
PANEL_EXPRS = [pytest.param(target["expr"]) for target in dashboard_targets("prometheus")]


@pytest.mark.parametrize("expr", ALERT_EXPRS)
def test_alert_uses_only_exposed_metrics_and_labels(expr: str) -> None:
    assert unknown_names(expr) == []


@pytest.mark.parametrize("expr", PANEL_EXPRS)
def test_panel_uses_only_exposed_metrics_and_labels(expr: str) -> None:
    assert unknown_names(expr) == []


def test_a_renamed_metric_would_be_caught() -> None:
    assert unknown_names("sum(rate(loka_stratum_shares_acepted_total[5m]))") != []
    assert unknown_names('loka_stratum_work_source_up{port="3333"}') != []


def test_alerts_are_complete_rules() -> None:
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_prometheus_scrapes_the_pool_where_it_serves_metrics(tmp_path: Path) -> None:
    prometheus = load_yaml(MONITORING / "prometheus.yml")
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    pool = jobs["loka-stratum"]
    assert pool["metrics_path"] in health_paths()
    health_port = validate_config(CONFIG.read_text("utf-8"), tmp_path, {}).settings.http.health_port
    assert pool["static_configs"][0]["targets"] == [f"loka-stratum:{health_port}"]
    assert 'up{job="loka-stratum"}' in {rule["expr"].split(" ==")[0] for rule in alert_rules()}


def test_compose_mounts_what_the_configs_name() -> None:
    compose = load_yaml(MONITORING / "docker-compose.yml")
    services = compose["services"]
    assert set(services) == {"prometheus", "alertmanager", "grafana", "loki", "promtail"}
    prometheus = load_yaml(MONITORING / "prometheus.yml")
    mounts = _mounts(services["prometheus"])
    for rule_file in prometheus["rule_files"]:
        assert (MONITORING / mounts[rule_file]).is_file()
    targets = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == ["alertmanager:9093"]
    assert compose["networks"]["default"] == {"name": "loka-stratum", "external": True}
    for service in services.values():
        for source in _mounts(service).values():
            assert not source.startswith("./") or (MONITORING / source).exists(), source


def test_alertmanager_routes_to_defined_receivers() -> None:
    config = load_yaml(MONITORING / "alertmanager.yml")
    receivers = {receiver["name"] for receiver in config["receivers"]}
    routes = [config["route"], *config["route"].get("routes", [])]
    assert {route["receiver"] for route in routes} <= receivers


def test_grafana_dashboard_uses_provisioned_datasources() -> None:
    provisioning = MONITORING / "grafana" / "provisioning"
    datasources = load_yaml(provisioning / "datasources" / "datasources.yml")["datasources"]
    by_uid = {source["uid"]: source["type"] for source in datasources}
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    for panel in panels:
        for target in panel["targets"]:
            assert by_uid[target["datasource"]["uid"]] == target["datasource"]["type"]
    provider = load_yaml(provisioning / "dashboards" / "dashboards.yml")["providers"][0]
    grafana = _mounts(load_yaml(MONITORING / "docker-compose.yml")["services"]["grafana"])
    assert grafana[provider["options"]["path"]] == "./grafana/dashboards"
    assert len({panel["id"] for panel in panels}) == len(panels)


def test_promtail_reads_the_pool_log_files_with_the_labels_grafana_asks_for(
    tmp_path: Path,
) -> None:
    scrape = load_yaml(MONITORING / "promtail-config.yaml")["scrape_configs"][0]
    labels = scrape["static_configs"][0]["labels"]
    logging = validate_config(CONFIG.read_text("utf-8"), tmp_path, {}).settings.logging
    for log_file in (logging.file, logging.security_file):
        assert log_file is not None
        assert fnmatch.fnmatch(str(log_file), labels["__path__"])
    extracted = {key for stage in scrape["pipeline_stages"] for key in stage.get("labels", {})}
    for expr in (target["expr"] for target in dashboard_targets("loki")):
        assert f'job="{labels["job"]}"' in expr
        assert set(re.findall(r"(\w+)=~?\"", expr)) <= extracted | {"job"}


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path of a compose service's volumes."""
    result = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        result[target] = source
    return result
