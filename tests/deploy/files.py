"""Where the deployment artefacts live, and how tests read them.

Every artefact is read the way its tool reads it (YAML documents, TOML, JSON, INI-like
units), so a file a tool would reject fails here first.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from loka_stratum.config import LoadedConfig, load_config

ROOT: Final = Path(__file__).resolve().parents[2]
DEPLOY: Final = ROOT / "deploy"
MONITORING: Final = DEPLOY / "monitoring"
KUBERNETES: Final = DEPLOY / "kubernetes"
SCRIPTS: Final = DEPLOY / "scripts"
CONFIG: Final = DEPLOY / "config" / "loka-stratum.toml"
CONTAINER_CONFIG: Final = "/etc/loka-stratum/loka-stratum.toml"


def load_yaml(path: Path) -> Any:
    """The single YAML document in ``path``."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_yaml_documents(path: Path) -> list[Any]:
    """Every document in ``path`` (Kubernetes files may hold several), empty ones dropped."""
    documents = yaml.safe_load_all(path.read_text(encoding="utf-8"))
    return [document for document in documents if document is not None]


def validate_config(text: str, directory: Path, env: Mapping[str, str]) -> LoadedConfig:
    """Load ``text`` with the real loader, as the program would with ``env``."""
    path = directory / "loka-stratum.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env)


def stratum_ports(loaded: LoadedConfig) -> set[int]:
    server = loaded.settings.server
    return {server.port, *(extra.port for extra in server.ports)}


def all_ports(loaded: LoadedConfig) -> set[int]:
    """Every TCP port the config makes the program listen on."""
    http = loaded.settings.http
    return stratum_ports(loaded) | {http.api_port, http.health_port}
