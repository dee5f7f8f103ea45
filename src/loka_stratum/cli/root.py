"""The ``loka-stratum`` command group every command is attached to."""

from __future__ import annotations

import click

from loka_stratum import __version__


@click.group(
    name="loka-stratum",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="loka-stratum")
def root() -> None:
    """Bitcoin Stratum V1 mining pool and proxy."""
