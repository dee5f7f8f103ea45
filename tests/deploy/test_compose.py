"""Dockerfile, .dockerignore and deploy/docker-compose.yml, as the manual drives them.

Docker itself is not needed: the files are read the way Docker reads them, and what
they tell the program (config file, environment, ports, health URL) is checked against
the program (its config loader and its health app).
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest

from tests.deploy.dockerfile import healthcheck_command, instructions
from tests.deploy.files import (
    CONFIG,
    CONTAINER_CONFIG,
    DEPLOY,
    ROOT,
    all_ports,
    load_yaml,
    stratum_ports,
    validate_config,
)
from tests.deploy.registry import health_paths

COMPOSE = load_yaml(DEPLOY / "docker-compose.yml")
POOL = COMPOSE["services"]["loka-stratum"]
_INTERPOLATION = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")
_URL = re.compile(r"https?://[\w.\[\]:-]+?:(\d+)(/[\w/]*)")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${NAME:-default}`` with ``env`` standing for the shell and .env file."""
    return _INTERPOLATION.sub(lambda m: env.get(m.group(1)) or m.group(2) or "", value)


def pool_environment(env: dict[str, str]) -> dict[str, str]:
    return {key: interpolate(str(value), env) for key, value in POOL["environment"].items()}


def published(ports: list[str]) -> dict[int, str]:
    """Container port -> host address it is published on ("" = every address)."""
    result = {}
    for spec in ports:
        *host, container = spec.split(":")
        address = host[0] if len(host) == 2 else ""
        first, _, last = container.partition("-")
        for port in range(int(first), int(last or first) + 1):
            result[port] = address
    return result


@pytest.mark.parametrize("shell_env", [{}, {"ADMIN_TOKEN": "a" * 32, "POSTGRES_PASSWORD": "s3"}])
def test_mounted_config_validates_with_the_service_environment(
    tmp_path: Path, shell_env: dict[str, str]
) -> None:
    mounts = {target: source for source, target, *_ in (v.split(":") for v in POOL["volumes"])}
    assert mounts[CONTAINER_CONFIG] == "./config/loka-stratum.toml"
    env = pool_environment(shell_env)
    loaded = validate_config((DEPLOY / mounts[CONTAINER_CONFIG]).read_text("utf-8"), tmp_path, env)
    assert loaded.provenance["database.url"] == "env:DATABASE_URL"
    assert str(loaded.settings.database.url).startswith("postgresql")
    assert (loaded.settings.http.admin_token is None) == ("ADMIN_TOKEN" not in shell_env)


def test_database_url_names_the_postgres_service_and_its_credentials() -> None:
    service = COMPOSE["services"]["postgres"]
    postgres = {key: interpolate(value, {}) for key, value in service["environment"].items()}
    user, password = postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"]
    expected = f"postgresql://{user}:{password}@postgres:5432/{postgres['POSTGRES_DB']}"
    assert pool_environment({})["DATABASE_URL"] == expected
    assert POOL["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "pg_isready" in " ".join(service["healthcheck"]["test"])


def test_ports_and_health_check_follow_the_config(tmp_path: Path) -> None:
    loaded = validate_config(CONFIG.read_text("utf-8"), tmp_path, {})
    ports = published(POOL["ports"])
    assert set(ports) == all_ports(loaded)
    assert all(ports[port] == "" for port in stratum_ports(loaded))
    assert ports[loaded.settings.http.health_port] == "127.0.0.1"
    for command in (POOL["healthcheck"]["test"], healthcheck_command()):
        port, path = _URL.findall(" ".join(command))[0]
        assert int(port) == loaded.settings.http.health_port
        assert path in health_paths()


def test_stop_limits_and_data_survive_as_the_manual_expects() -> None:
    assert POOL["stop_signal"] == "SIGTERM"
    assert POOL["stop_grace_period"] == "30s"
    assert POOL["ulimits"]["nofile"] == {"soft": 65536, "hard": 65536}
    assert COMPOSE["volumes"]["postgres-data"]["name"] == "loka_stratum_postgres-data"
    assert "data:/var/lib/loka-stratum" in POOL["volumes"]
    assert "/var/log/loka-stratum:/var/log/loka-stratum" in POOL["volumes"]
    assert POOL["depends_on"]["log-dir"] == {"condition": "service_completed_successfully"}
    assert COMPOSE["networks"]["default"]["name"] == "loka-stratum"


def test_redis_is_defined_but_not_started_by_default() -> None:
    redis = COMPOSE["services"]["redis"]
    assert redis["profiles"] == ["redis"]
    assert all("profiles" not in s for n, s in COMPOSE["services"].items() if n != "redis")


def test_dockerfile_builds_a_non_root_image_that_starts_the_pool(tmp_path: Path) -> None:
    steps = instructions()
    assert [s.arguments.split()[0] for s in steps if s.keyword == "FROM"] == [
        "python:3.11-slim"
    ] * 2
    runs = " ".join(s.arguments for s in steps if s.keyword == "RUN")
    assert re.search(r"pip install [^&]*\.(\s|$)", runs)
    users = [s.arguments for s in steps if s.keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}
    (cmd,) = [s.exec_form() for s in steps if s.keyword == "CMD"]
    assert cmd == ["loka-stratum", "start", "--config", CONTAINER_CONFIG]
    copies = {tuple(s.words()[-2:]) for s in steps if s.keyword == "COPY"}
    assert ("deploy/config/loka-stratum.toml", CONTAINER_CONFIG) in copies
    loaded = validate_config(CONFIG.read_text("utf-8"), tmp_path, {})
    exposed = {int(p) for s in steps if s.keyword == "EXPOSE" for p in s.words()}
    assert exposed == all_ports(loaded)


def test_dockerignore_keeps_what_the_build_copies() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = [
        word
        for step in instructions()
        if step.keyword == "COPY" and not step.arguments.startswith("--from")
        for word in step.words()[:-1]
    ]
    for source in sources:
        parts = Path(source).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        assert not any(fnmatch.fnmatch(p, pat) for p in prefixes for pat in patterns), source
        assert (ROOT / source).exists(), source
    assert {".git", ".venv"} <= set(patterns)


def test_log_directory_helper_uses_the_same_image_as_root() -> None:
    helper = COMPOSE["services"]["log-dir"]
    assert helper["image"] == POOL["image"]
    assert helper["user"] == "0"
    assert helper["volumes"] == ["/var/log/loka-stratum:/var/log/loka-stratum"]
