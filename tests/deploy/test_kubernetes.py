"""deploy/kubernetes: namespace loka-stratum, probes on paths the health app serves,
ports that match the config in the ConfigMap, which itself validates with the real loader.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.files import (
    CONTAINER_CONFIG,
    KUBERNETES,
    all_ports,
    load_yaml,
    load_yaml_documents,
    stratum_ports,
    validate_config,
)
from tests.deploy.registry import health_paths

NAMESPACE = "loka-stratum"
POD_NAME = "loka-stratum-7d9f8c6b54-x2k4q"
SECRET_FILE = "secret.yaml"
"""Example values only: not in the kustomization, so `apply -k` never overwrites the real one."""


def objects() -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) -> object, from the files the kustomization lists."""
    kustomization = load_yaml(KUBERNETES / "kustomization.yaml")
    found = {}
    for resource in kustomization["resources"]:
        for document in load_yaml_documents(KUBERNETES / resource):
            found[(document["kind"], document["metadata"]["name"])] = document
    return found


OBJECTS = objects()
(SECRET,) = load_yaml_documents(KUBERNETES / SECRET_FILE)
DEPLOYMENT = OBJECTS[("Deployment", "loka-stratum")]
POD = DEPLOYMENT["spec"]["template"]["spec"]
(CONTAINER,) = POD["containers"]


def container_env() -> dict[str, str]:
    """The container's environment as the kubelet builds it from the Secret and the pod."""
    assert SECRET["metadata"] == {
        "name": "loka-stratum-secrets",
        "namespace": NAMESPACE,
        "labels": {"app": "loka-stratum"},
    }
    secret = SECRET["stringData"]
    env: dict[str, str] = {}
    for item in CONTAINER["env"]:
        source = item.get("valueFrom", {})
        if "secretKeyRef" in source:
            assert source["secretKeyRef"]["name"] == "loka-stratum-secrets"
            env[item["name"]] = secret[source["secretKeyRef"]["key"]]
        elif "fieldRef" in source:
            assert source["fieldRef"]["fieldPath"] == "metadata.name"
            env[item["name"]] = POD_NAME
        else:
            env[item["name"]] = item["value"].replace("$(POD_NAME)", env.get("POD_NAME", ""))
    return env


def loaded_config(tmp_path: Path) -> Any:
    config_map = OBJECTS[("ConfigMap", "loka-stratum-config")]
    return validate_config(config_map["data"]["loka-stratum.toml"], tmp_path, container_env())


def test_every_manifest_file_is_listed_and_namespaced() -> None:
    listed = set(load_yaml(KUBERNETES / "kustomization.yaml")["resources"])
    assert listed == {path.name for path in KUBERNETES.glob("*.yaml")} - {
        "kustomization.yaml",
        SECRET_FILE,
    }
    kinds = {kind for kind, _ in OBJECTS}
    assert {"Namespace", "ConfigMap", "Deployment", "Service"} <= kinds
    assert SECRET["kind"] == "Secret"
    assert "HorizontalPodAutoscaler" in kinds
    for (kind, name), document in OBJECTS.items():
        expected = name if kind == "Namespace" else document["metadata"].get("namespace")
        assert expected == NAMESPACE, (kind, name)


def test_configmap_config_validates_with_the_pod_environment(tmp_path: Path) -> None:
    loaded = loaded_config(tmp_path)
    assert loaded.provenance["database.url"] == "env:DATABASE_URL"
    assert loaded.settings.stratum.pool_tag == f"/loka-stratum/{POD_NAME}/"
    assert loaded.settings.http.admin_token is not None
    mount = {m["name"]: m["mountPath"] for m in CONTAINER["volumeMounts"]}["config"]
    config_volume = {v["name"]: v for v in POD["volumes"]}["config"]
    assert config_volume["configMap"]["name"] == "loka-stratum-config"
    assert f"{mount}/loka-stratum.toml" == CONTAINER_CONFIG
    assert [*CONTAINER["command"], *CONTAINER["args"]] == [
        "loka-stratum",
        "start",
        "--config",
        CONTAINER_CONFIG,
    ]


def test_probes_use_health_paths_on_the_health_port(tmp_path: Path) -> None:
    loaded = loaded_config(tmp_path)
    ports = {port["name"]: port["containerPort"] for port in CONTAINER["ports"]}
    probes = {name: CONTAINER[name]["httpGet"] for name in ("readinessProbe", "livenessProbe")}
    assert probes["readinessProbe"]["path"] == "/ready"
    assert probes["livenessProbe"]["path"] == "/live"
    for probe in [*probes.values(), CONTAINER["startupProbe"]["httpGet"]]:
        assert probe["path"] in health_paths()
        assert ports[probe["port"]] == loaded.settings.http.health_port


def test_container_and_service_ports_match_the_config(tmp_path: Path) -> None:
    loaded = loaded_config(tmp_path)
    ports = {port["name"]: port["containerPort"] for port in CONTAINER["ports"]}
    assert set(ports.values()) == all_ports(loaded)
    public = OBJECTS[("Service", "loka-stratum")]["spec"]
    internal = OBJECTS[("Service", "loka-stratum-metrics")]["spec"]
    for spec in (public, internal):
        assert spec["selector"] == DEPLOYMENT["spec"]["template"]["metadata"]["labels"]
        for port in spec["ports"]:
            assert ports[port["targetPort"]] == port["port"]
    public_ports = {port["port"] for port in public["ports"]}
    assert public_ports == stratum_ports(loaded) | {loaded.settings.http.api_port}
    assert {port["port"] for port in internal["ports"]} == {loaded.settings.http.health_port}
    assert public["externalTrafficPolicy"] == "Local"


def test_deployment_is_sized_secured_and_stops_in_time() -> None:
    assert DEPLOYMENT["spec"]["selector"]["matchLabels"] == {"app": "loka-stratum"}
    assert CONTAINER["name"] == "loka-stratum"
    requests = CONTAINER["resources"]["requests"]
    assert set(requests) == {"cpu", "memory"}
    assert POD["terminationGracePeriodSeconds"] >= 30
    assert POD["securityContext"]["runAsNonRoot"] is True
    assert CONTAINER["securityContext"]["readOnlyRootFilesystem"] is True


def test_hpa_scales_the_deployment_as_the_manual_does() -> None:
    hpa = OBJECTS[("HorizontalPodAutoscaler", "loka-stratum")]["spec"]
    target = hpa["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "loka-stratum")
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 20)
    (metric,) = hpa["metrics"]
    assert metric["resource"]["target"]["averageUtilization"] == 70


def test_kustomize_renders_the_same_objects() -> None:
    """`kubectl apply -k deploy/kubernetes`; without kubectl, the parsed files are all we have."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        rendered = list(OBJECTS.values())
    else:
        done = subprocess.run(
            [kubectl, "kustomize", str(KUBERNETES)], capture_output=True, text=True, check=True
        )
        rendered = [doc for doc in yaml.safe_load_all(done.stdout) if doc is not None]
    assert {(doc["kind"], doc["metadata"]["name"]): doc for doc in rendered} == OBJECTS
