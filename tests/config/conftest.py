"""Helpers for config tests: write a TOML file, load it with a given environment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from loka_stratum.config import ConfigError, LoadedConfig, load_config

Loader = Callable[..., LoadedConfig]
ProblemsOf = Callable[..., list[str]]


@pytest.fixture
def write_toml(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "loka-stratum.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def load(write_toml: Callable[[str], Path]) -> Loader:
    """``load(toml_text_or_None, **env)`` -> LoadedConfig."""

    def run(text: str | None = None, env: Mapping[str, str] | None = None) -> LoadedConfig:
        path = write_toml(text) if text is not None else None
        return load_config(path, env or {})

    return run


@pytest.fixture
def problems_of(load: Loader) -> ProblemsOf:
    """``problems_of(toml_text_or_None, env)`` -> the ConfigError's problem lines."""

    def run(text: str | None = None, env: Mapping[str, str] | None = None) -> list[str]:
        with pytest.raises(ConfigError) as caught:
            load(text, env)
        return list(caught.value.problems)

    return run
