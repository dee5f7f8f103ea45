"""Options and helpers shared by commands that read the configuration.

The CLI is the edge where the process environment is read; everything below
it receives the environment as a mapping.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import click

from loka_stratum.config import ConfigError, LoadedConfig, load_config, resolve_config_path

F = TypeVar("F", bound=Callable[..., object])


def config_option(function: F) -> F:
    """``--config FILE``; else ``$LOKA_CONFIG``, else ``./loka-stratum.toml``, else defaults."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Config file [default: $LOKA_CONFIG, else ./loka-stratum.toml if present, "
        "else built-in defaults].",
    )(function)


def load_or_exit(config_path: Path | None) -> LoadedConfig:
    """Load the configuration with the process environment; on problems print them, exit 1."""
    env = dict(os.environ)
    try:
        return load_config(resolve_config_path(config_path, env, Path.cwd()), env)
    except ConfigError as exc:
        count = len(exc.problems)
        fail(f"configuration invalid ({count} problem{'s' if count != 1 else ''}):", exc.problems)


def fail(headline: str, problems: tuple[str, ...] | list[str]) -> NoReturn:
    """Print ``headline`` and one problem per line to stderr, then exit with status 1."""
    click.echo(headline, err=True)
    for line in problems:
        click.echo(f"  {line}", err=True)
    raise click.exceptions.Exit(1)
