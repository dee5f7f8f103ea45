"""``start --dry-run``: everything a start does short of serving miners, then a verdict.

Loads and validates the configuration (done by the caller), resolves the
payout address for the network, reaches the database and the work source,
and prints the plan. Exit status 0 means a real start would come up.
"""

from __future__ import annotations

import click

from loka_stratum.app.pool import pool_network, port_specs
from loka_stratum.app.sources import rpc_auth
from loka_stratum.bitcoin.address import AddressError, address_to_script
from loka_stratum.config import LoadedConfig, Settings, mask_url_password
from loka_stratum.proxy import UpstreamConnection, UpstreamError, UpstreamOptions
from loka_stratum.proxy.endpoint import endpoints
from loka_stratum.proxy.sources import effective_upstreams
from loka_stratum.sources.rpc import BitcoindRpc, RpcError, RpcUnavailable
from loka_stratum.storage import Database


async def check_plan(loaded: LoadedConfig) -> int:
    settings = loaded.settings
    network = pool_network(settings)
    problems: list[str] = []
    ports = ", ".join(
        f"{spec.port} (difficulty {spec.start_difficulty})" for spec in port_specs(settings)
    )
    lines = [
        f"config:      {loaded.path or 'built-in defaults'}",
        f"mode:        {settings.mode} ({settings.stratum.payout_mode} payouts)",
        f"network:     {network.name}",
        f"stratum:     {settings.server.host} ports {ports}",
        f"database:    {mask_url_password(settings.database.url)}",
    ]
    addresses = {
        "stratum.pool_address": settings.stratum.pool_address
        if settings.stratum.payout_mode == "pool"
        else None,
        "accounting.fee_address": settings.accounting.fee_address,
    }
    for key, address in addresses.items():
        if settings.mode == "pool" and address is not None:
            try:
                address_to_script(address, network)
            except AddressError as exc:
                problems.append(f"{key}: {exc}")
    problems += await _check_database(settings.database.url)
    source_line, source_problems = await _check_source(loaded)
    lines.append(f"work source: {source_line}")
    problems += source_problems
    for line in lines:
        click.echo(line)
    if problems:
        click.echo("not ready:", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        return 1
    click.echo("ready: a start with this configuration would serve miners")
    return 0


async def _check_database(url: str) -> list[str]:
    database = Database(url)
    try:
        if not await database.health():
            return [f"database: {mask_url_password(url)} is not reachable"]
        revision = await database.schema_revision()
        if revision is None:
            click.echo("schema:      not migrated yet (start migrates it)")
        else:
            click.echo(f"schema:      revision {revision}")
        return []
    finally:
        await database.dispose()


async def _check_upstreams(settings: Settings) -> tuple[str, list[str]]:
    """Proxy mode: a full handshake with each enabled upstream (config file and database)."""
    database = Database(settings.database.url)
    try:
        upstreams = await effective_upstreams(settings.pool, database.pools)
    except Exception:  # the database check reports why; the file's list still gets tried
        upstreams = settings.pool
    finally:
        await database.dispose()
    options = UpstreamOptions(
        connect_timeout=min(upstreams.connection_timeout, 10.0), keepalive_interval=0
    )
    reached, problems = [], []
    for endpoint in endpoints(upstreams):
        conn = UpstreamConnection(endpoint, options)
        try:
            await conn.connect()
        except UpstreamError as exc:
            problems.append(f"upstream {endpoint.name}: {exc}")
            continue
        reached.append(
            f"{endpoint.name} ({endpoint.address}, extranonce2_size {conn.extranonce2_size})"
        )
        await conn.close()
    if not endpoints(upstreams):
        hint = "add one under [[pool.upstreams]] or with 'loka-stratum pools add'"
        return "upstreams: none enabled", [f"pool.upstreams: no enabled upstream pool ({hint})"]
    line = f"upstreams {', '.join(reached) or 'none reachable'}"
    if reached:  # failover exists for this: one reachable upstream is enough to serve
        problems = []
    return line, problems


async def _check_source(loaded: LoadedConfig) -> tuple[str, list[str]]:
    settings = loaded.settings
    if settings.mode == "proxy":
        return await _check_upstreams(settings)
    node = settings.bitcoind
    if node.source == "embedded":
        chain_file = settings.embedded.chain_file
        where = f"chain file {chain_file}" if chain_file else "in memory"
        return f"embedded regtest chain ({where})", []
    rpc = BitcoindRpc(node.effective_rpc_url, rpc_auth(settings), timeout=min(node.rpc_timeout, 10))
    try:
        info = await rpc.call("getblockchaininfo")
    except (RpcUnavailable, RpcError) as exc:
        return f"bitcoind at {node.effective_rpc_url}", [f"bitcoind: {exc}"]
    finally:
        await rpc.aclose()
    info = info if isinstance(info, dict) else {}
    chain = info.get("chain")
    line = f"bitcoind at {node.effective_rpc_url}: chain {chain}, height {info.get('blocks')}"
    if chain != node.network:
        return line, [f"bitcoind.network: node runs {chain!r}, config says {node.network!r}"]
    return line, []
