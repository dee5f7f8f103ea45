"""Every YAML and JSON file under deploy/ parses to mappings, as its tool will read it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.deploy.files import DEPLOY, load_yaml_documents

DATA_FILES = sorted(
    path for suffix in ("*.yml", "*.yaml", "*.json") for path in DEPLOY.rglob(suffix)
)


def test_the_artefacts_are_all_found() -> None:
    names = {path.relative_to(DEPLOY).as_posix() for path in DATA_FILES}
    assert {
        "docker-compose.yml",
        "monitoring/docker-compose.yml",
        "monitoring/prometheus.yml",
        "monitoring/alerts.yml",
        "monitoring/alertmanager.yml",
        "monitoring/promtail-config.yaml",
        "monitoring/grafana/dashboards/loka-stratum.json",
        "kubernetes/deployment.yaml",
    } <= names


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda path: path.relative_to(DEPLOY).as_posix())
def test_file_parses_to_mappings(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    documents = [json.loads(text)] if path.suffix == ".json" else load_yaml_documents(path)
    assert documents
    assert all(isinstance(document, dict) and document for document in documents)
