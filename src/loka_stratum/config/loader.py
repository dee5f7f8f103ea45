"""Loading: file, then environment, then validation, remembering where each value came from.

The environment is a parameter, never read from ``os.environ`` here: the CLI
passes the process environment, tests pass a dict, and a SIGHUP reload passes
the same mapping the process started with.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from pydantic import ValidationError

from loka_stratum.config.diagnostics import describe_errors
from loka_stratum.config.env import read_env_overrides
from loka_stratum.config.errors import ConfigError
from loka_stratum.config.schema import Leaf, iter_leaves
from loka_stratum.config.settings import Settings

DEFAULT_CONFIG_FILE: Final = Path("loka-stratum.toml")
CONFIG_PATH_ENV: Final = "LOKA_CONFIG"
LEAVES: Final[tuple[Leaf, ...]] = tuple(iter_leaves(Settings))


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """Validated settings plus, for every key, ``default``, ``file`` or ``env:<NAME>``."""

    settings: Settings
    provenance: Mapping[str, str]
    path: Path | None
    """The file read, or None when running on defaults and environment only."""


def resolve_config_path(option: Path | None, env: Mapping[str, str], cwd: Path) -> Path | None:
    """``--config``, else ``$LOKA_CONFIG``, else ``./loka-stratum.toml`` if present, else None."""
    if option is not None:
        return option
    if env.get(CONFIG_PATH_ENV):
        return Path(env[CONFIG_PATH_ENV])
    candidate = cwd / DEFAULT_CONFIG_FILE
    return candidate if candidate.is_file() else None


def read_toml(path: Path) -> dict[str, Any]:
    """The file's table; a missing or malformed file is a ``ConfigError`` naming it."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read ({exc.strerror})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: invalid TOML: {exc}"]) from None


def load_config(path: Path | None, env: Mapping[str, str]) -> LoadedConfig:
    """Read ``path`` (None = defaults), apply ``env`` overrides, validate; or raise ConfigError."""
    file_data = read_toml(path) if path is not None else {}
    overrides = read_env_overrides(env, {leaf.env_name: leaf for leaf in LEAVES})
    merged = copy.deepcopy(file_data)
    for key_path, value in overrides.values.items():
        _assign(merged, key_path, value)
    provenance = {leaf.dotted: _source(leaf.path, file_data, overrides.sources) for leaf in LEAVES}
    problems = list(overrides.problems)
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        problems += describe_errors(Settings, exc, provenance)
    if problems:
        raise ConfigError(problems)
    return LoadedConfig(settings, MappingProxyType(provenance), path)


def _assign(data: dict[str, Any], key_path: tuple[str, ...], value: object) -> None:
    """Set a nested key; a non-table in the way is left for validation to report."""
    table = data
    for part in key_path[:-1]:
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            return
    table[key_path[-1]] = value


def _source(
    key_path: tuple[str, ...],
    file_data: Mapping[str, Any],
    env_sources: Mapping[tuple[str, ...], str],
) -> str:
    if key_path in env_sources:
        return f"env:{env_sources[key_path]}"
    table: object = file_data
    for part in key_path:
        if not isinstance(table, Mapping) or part not in table:
            return "default"
        table = table[part]
    return "file"
