"""``loka-stratum federation peers [--json] | disable --emergency | enable``.

``peers`` asks the running instance's public API (``GET /api/federation/peers``,
address from the config's ``http.api_host``/``api_port`` unless ``--url``).
``disable --emergency`` and ``enable`` write the standalone flag into the
database the config names (``DATABASE_URL`` overrides): the running pool reads
it every heartbeat, drops its links and listener, and a restarted pool stays
standalone until ``enable``. Exit status: 0 done, 1 failed, 2 no usable answer.
"""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import click
import httpx

from loka_stratum.cli.options import config_option, fail, load_or_exit
from loka_stratum.config import Settings
from loka_stratum.federation.control import FederationControl, Standalone
from loka_stratum.payments.state import PoolState
from loka_stratum.storage import Database

EXIT_UNREACHABLE: Final = 2
_LOOPBACK: Final = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


@click.group("federation")
def federation() -> None:
    """Federation links between this operator's pools: peers, emergency standalone."""


def api_url(settings: Settings) -> str:
    host = _LOOPBACK.get(settings.http.api_host, settings.http.api_host)
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.http.api_port}"


@federation.command("peers")
@config_option
@click.option("--url", default=None, help="Public API of the instance [default: from config].")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True)
def peers(config_path: Path | None, url: str | None, as_json: bool, timeout: float) -> None:
    """Ask the running pool which peers are linked, their latency, height and tip."""
    base = url or api_url(load_or_exit(config_path).settings)
    try:
        response = httpx.get(f"{base.rstrip('/')}/api/federation/peers", timeout=timeout)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        click.echo(f"federation peers: no answer from {base}: {exc}", err=True)
        raise click.exceptions.Exit(EXIT_UNREACHABLE) from exc
    if as_json:
        click.echo(json.dumps(body, indent=2))
        return
    _print_peers(body)


def _print_peers(body: dict[str, Any]) -> None:
    state = "standalone" if body["standalone"] else "enabled" if body["enabled"] else "disabled"
    click.echo(f"federation {state}: {body['connected']} of {len(body['peers'])} peers linked")
    for peer in body["peers"]:
        latency = "-" if peer["latency_ms"] is None else f"{peer['latency_ms']:.1f} ms"
        link = "linked" if peer["connected"] else "down"
        height = "-" if peer["height"] is None else str(peer["height"])
        click.echo(f"  {peer['name']:<16} {peer['url']:<28} {link:<7} {latency:>10}  {height}")


def _set_flag(config_path: Path | None, on: bool) -> Standalone:
    settings = load_or_exit(config_path).settings
    by = f"cli@{socket.gethostname()}"

    async def run() -> Standalone:
        async with Database(settings.database.url) as database:
            await database.migrate()
            control = FederationControl(PoolState(database.engine))
            return await control.set(on, by, datetime.now(UTC))

    try:
        return asyncio.run(run())
    except Exception as exc:  # a database or driver failure is a message, not a traceback
        fail(f"federation: {exc}", [])


@federation.command("disable")
@config_option
@click.option("--emergency", is_flag=True, help="Required: cut this pool off its federation.")
def disable(config_path: Path | None, emergency: bool) -> None:
    """Emergency standalone mode: drop every link, stop listening, stay so across restarts."""
    if not emergency:
        raise click.UsageError("pass --emergency to cut this pool off its federation")
    flag = _set_flag(config_path, True)
    click.echo(
        f"federation standalone since {flag.since} (by {flag.by}): the running pool drops its "
        "links and stops listening within one heartbeat, and stays standalone across restarts "
        "until `loka-stratum federation enable`."
    )


@federation.command("enable")
@config_option
def enable(config_path: Path | None) -> None:
    """Leave standalone mode: the running pool listens and dials its peers again."""
    flag = _set_flag(config_path, False)
    click.echo(
        f"federation enabled since {flag.since} (by {flag.by}): the running pool listens and "
        "redials its peers within one heartbeat."
    )
