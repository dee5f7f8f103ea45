"""`loka-stratum client` and `python test_stratum_client.py`: the same click command.

The CLI registers it with `cli.add_command(client_command)`; the script at the repo
root runs it standalone. The exit code is the verdict (see `report`).
"""

from __future__ import annotations

import click

from loka_stratum.client.options import ClientOptions
from loka_stratum.client.runner import run_client

_DEFAULTS = ClientOptions(host="")


@click.command(name="client")
@click.option("--host", required=True, help="Pool host name or address (IPv4 or IPv6).")
@click.option("--port", type=click.IntRange(1, 65535), default=_DEFAULTS.port, show_default=True)
@click.option("--user", default=_DEFAULTS.user, show_default=True, help="Worker name.")
@click.option("--password", default=_DEFAULTS.password, show_default=True)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=_DEFAULTS.duration,
    show_default=True,
    help="Seconds to mine at most.",
)
@click.option(
    "--shares",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after this many accepted shares; pass only if that many were accepted.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--version-rolling/--no-version-rolling",
    default=True,
    show_default=True,
    help="Ask for BIP310 version rolling with mining.configure.",
)
@click.option(
    "--suggest-difficulty",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Send mining.suggest_difficulty with this value.",
)
@click.option(
    "--connect-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=_DEFAULTS.connect_timeout,
    show_default=True,
)
@click.option(
    "--response-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=_DEFAULTS.response_timeout,
    show_default=True,
    help="Seconds to wait for handshake answers and, at the end, for pending submits.",
)
@click.pass_context
def client_command(
    ctx: click.Context,
    host: str,
    port: int,
    user: str,
    password: str,
    duration: float,
    shares: int | None,
    as_json: bool,
    version_rolling: bool,
    suggest_difficulty: float | None,
    connect_timeout: float,
    response_timeout: float,
) -> None:
    """Mine against a Stratum V1 pool with a real CPU miner and report what happened.

    Exit code 0: the pool accepted shares (at least one, or --shares); 1: the pool
    answered but failed; 2: connecting failed or the pool closed the connection.
    """
    options = ClientOptions(
        host=host,
        port=port,
        user=user,
        password=password,
        duration=duration,
        shares=shares,
        json=as_json,
        version_rolling=version_rolling,
        suggest_difficulty=suggest_difficulty,
        connect_timeout=connect_timeout,
        response_timeout=response_timeout,
    )
    ctx.exit(run_client(options))
