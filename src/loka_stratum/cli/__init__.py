"""The ``loka-stratum`` command line.

``root`` (in ``root.py``) is the group; each command or command group lives in
its own module and is attached here, so adding one is a module with a
decorated function plus one entry in ``COMMANDS``.
"""

from __future__ import annotations

from typing import Final

import click

from loka_stratum.cli.blockchain_cmd import blockchain
from loka_stratum.cli.config_cmd import config
from loka_stratum.cli.db_cmd import db
from loka_stratum.cli.federation_cmd import federation
from loka_stratum.cli.payments_cmd import payments
from loka_stratum.cli.pools_cmd import pools
from loka_stratum.cli.root import root
from loka_stratum.cli.start_cmd import start
from loka_stratum.cli.status_cmd import status
from loka_stratum.client.command import client_command

COMMANDS: Final[tuple[click.Command, ...]] = (
    config,
    start,
    status,
    db,
    pools,
    payments,
    blockchain,
    client_command,
    federation,
)

for _command in COMMANDS:
    root.add_command(_command)


def main() -> None:
    """Console-script entry point (``loka-stratum``)."""
    root.main(prog_name="loka-stratum")


__all__ = ["main", "root"]
