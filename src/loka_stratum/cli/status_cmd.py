"""``loka-stratum status [--url URL] [--json] [--config F]``: how is the running pool?

Exit status for scripts: 0 healthy, 1 degraded or unhealthy, 2 no usable
answer (not running, wrong address, not loka-stratum). Without ``--url`` the
address comes from the config's ``http.health_host``/``health_port``; a
wildcard listen address (``0.0.0.0``, ``::``) is reached on loopback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import click
from rich.console import Console
from rich.table import Table

from loka_stratum.api.status_client import StatusSnapshot, StatusUnavailableError, fetch_status
from loka_stratum.app.summary import format_hashrate
from loka_stratum.cli.options import config_option, load_or_exit
from loka_stratum.config import HttpSettings

EXIT_HEALTHY: Final = 0
EXIT_NOT_HEALTHY: Final = 1
EXIT_UNREACHABLE: Final = 2
_LOOPBACK: Final = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
_STYLE: Final = {"healthy": "green", "degraded": "yellow", "starting": "yellow"}


def health_url(http: HttpSettings) -> str:
    host = _LOOPBACK.get(http.health_host, http.health_host)
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{http.health_port}"


@click.command("status")
@config_option
@click.option(
    "--url",
    default=None,
    help="Health listener of the instance [default: from the config's http.health_host and "
    "http.health_port].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the answers as JSON.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True)
def status(config_path: Path | None, url: str | None, as_json: bool, timeout: float) -> None:
    """Query a running instance: health, connections, shares, blocks, hashrate."""
    if url is None:
        url = health_url(load_or_exit(config_path).settings.http)
    try:
        snapshot = fetch_status(url, timeout=timeout)
    except StatusUnavailableError as exc:
        if as_json:
            click.echo(json.dumps({"url": url, "error": str(exc)}))
        click.echo(f"loka-stratum status: {exc} (is the pool running there?)", err=True)
        raise click.exceptions.Exit(EXIT_UNREACHABLE) from exc
    if as_json:
        click.echo(json.dumps(snapshot.to_json(), indent=2))
    else:
        Console(highlight=False).print(status_table(snapshot))
    raise click.exceptions.Exit(EXIT_HEALTHY if snapshot.status == "healthy" else EXIT_NOT_HEALTHY)


def status_table(snapshot: StatusSnapshot) -> Table:
    health = snapshot.health
    table = Table(title=f"loka-stratum at {snapshot.url}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("status", _styled(snapshot.status))
    table.add_row("version", f"{health.get('version', '?')} ({health.get('mode', '?')} mode)")
    table.add_row("uptime", str(health.get("uptime", "?")))
    connections = health.get("connections", {})
    table.add_row(
        "connections",
        f"{connections.get('active', '?')} active of {connections.get('max', '?')} max, "
        f"{connections.get('total', '?')} since start",
    )
    for name, state in health.get("services", {}).items():
        table.add_row(name.replace("_", " "), _styled(str(state)) + _service_note(name, health))
    table.add_row("memory", f"{health.get('memory_usage', 0) / 2**20:.1f} MiB")
    table.add_row("cpu", f"{health.get('cpu_usage', 0.0)} %")
    _add_figures(table, snapshot)
    return table


def _styled(state: str) -> str:
    return f"[{_STYLE.get(state, 'red')}]{state}[/]"


def _service_note(name: str, health: Mapping[str, Any]) -> str:
    """The detail `/health` gives beside a service's state, in parentheses."""
    source, database = health.get("work_source"), health.get("database")
    if name == "pool_connection" and isinstance(source, dict):
        height = source.get("height")
        parts = [
            str(source.get("kind")),
            None if height is None else f"height {height}",
            source.get("detail"),
        ]
        return f" ({', '.join(part for part in parts if part)})"
    if name == "database" and isinstance(database, dict):
        journal, pending = database.get("journal_depth"), database.get("pending_shares")
        return f" (journal {journal}, pending shares {pending})"
    return ""


def _add_figures(table: Table, snapshot: StatusSnapshot) -> None:
    figures = snapshot.figures
    if figures is None:
        table.add_row("figures", "[red]metrics unavailable[/]")
        return
    table.add_row(
        "shares", f"{figures.shares_accepted:.0f} accepted, {figures.shares_rejected:.0f} rejected"
    )
    table.add_row(
        "blocks", f"{figures.blocks_found:.0f} found, {figures.blocks_rejected:.0f} rejected"
    )
    rates = [f"{format_hashrate(v)} ({w})" for w, v in sorted(figures.hashrate.items(), key=_order)]
    table.add_row("hashrate", ", ".join(rates) or "-")


def _order(item: tuple[str, float]) -> float:
    """Windows shortest first: `1m` < `5m` < `1h`."""
    window = item[0]
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(window[-1:], 0)
    return float(window[:-1]) * unit if window[:-1].isdigit() else float("inf")
