"""``loka-stratum config validate | show | generate``."""

from __future__ import annotations

from pathlib import Path

import click

from loka_stratum.cli.options import config_option, fail, load_or_exit
from loka_stratum.config import generate_config, show_config


@click.group("config")
def config() -> None:
    """Validate, show and generate configuration files."""


@config.command("validate")
@config_option
def validate(config_path: Path | None) -> None:
    """Load and check the configuration (file + environment); exit 1 on any problem."""
    loaded = load_or_exit(config_path)
    source = loaded.path if loaded.path is not None else "built-in defaults"
    click.echo(f"configuration valid: {source} (mode {loaded.settings.mode})")


@config.command("show")
@config_option
def show(config_path: Path | None) -> None:
    """Print the effective configuration, secrets masked, with each value's source."""
    click.echo(show_config(load_or_exit(config_path)), nl=False)


@config.command("generate")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing --output file.")
def generate(output: Path | None, force: bool) -> None:
    """Write a commented example configuration with every key and its default."""
    text = generate_config()
    if output is None:
        click.echo(text, nl=False)
        return
    if output.exists() and not force:
        fail(f"{output} exists; use --force to overwrite it", [])
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}", [])
    click.echo(f"wrote {output}")
