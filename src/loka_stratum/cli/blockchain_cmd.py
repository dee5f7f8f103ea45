"""``loka-stratum blockchain verify``: node reachable, chain, sync, wallet, payout addresses.

Exit status 0 when every check passes, 1 when any fails. With the embedded
chain there is no node and no wallet: the command says so and checks only the
configured addresses (against regtest, the embedded chain's rules).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from loka_stratum.app.payments import build_wallet, payments_network, payout_addresses
from loka_stratum.cli.options import config_option, load_or_exit
from loka_stratum.config import Settings
from loka_stratum.payments.verify import Check, address_checks, node_checks

EMBEDDED = (
    "embedded regtest chain: no bitcoind and no wallet to verify "
    "(payment runs report 'no wallet configured')"
)


@click.group("blockchain")
def blockchain() -> None:
    """The Bitcoin node and wallet behind the pool."""


@blockchain.command("verify")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def verify(config_path: Path | None, as_json: bool) -> None:
    """Check the node and wallet payments depend on; exit 1 if any check fails."""
    settings = load_or_exit(config_path).settings
    checks = asyncio.run(run_checks(settings))
    ok = all(check.ok for check in checks)
    if as_json:
        click.echo(json.dumps({"ok": ok, "checks": [c.to_json() for c in checks]}, indent=2))
    else:
        for check in checks:
            click.echo(f"[{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    raise click.exceptions.Exit(0 if ok else 1)


async def run_checks(settings: Settings) -> list[Check]:
    network = payments_network(settings)
    addresses = payout_addresses(settings)
    checks = address_checks(addresses, network)
    wallet = build_wallet(settings)
    if wallet is None:
        return [Check("source", True, EMBEDDED), *checks]
    try:
        return checks + await node_checks(wallet, settings.bitcoind.network, addresses)
    finally:
        await wallet.aclose()
