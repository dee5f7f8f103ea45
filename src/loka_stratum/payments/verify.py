"""``blockchain verify``: can this pool pay? Node reachable, right chain, synced, wallet
loaded and funded, payout and fee addresses valid for the network.

Each check is a value with a one-line detail; the command prints them and exits
non-zero when any failed. Addresses are checked twice: by our own decoder for
the configured network, and by the node (``validateaddress``), so a node on
another chain than the config says is caught even if the chain check is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loka_stratum.bitcoin.address import AddressError, address_to_script
from loka_stratum.bitcoin.network import Network
from loka_stratum.payments.wallet import WalletError, WalletRpc
from loka_stratum.payments.wallet_types import btc_string

MIN_PROGRESS = 0.9999


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def address_checks(addresses: Mapping[str, str | None], network: Network) -> list[Check]:
    """Each configured address decoded for ``network`` (unset ones are not checked)."""
    checks = []
    for name, address in addresses.items():
        if address is None:
            continue
        try:
            address_to_script(address, network)
        except AddressError as exc:
            checks.append(Check(name, False, str(exc)))
        else:
            checks.append(Check(name, True, f"{address} is a {network.name} address"))
    return checks


async def node_checks(
    wallet: WalletRpc, expected_chain: str, addresses: Mapping[str, str | None]
) -> list[Check]:
    """RPC, chain, sync, wallet and the node's view of the addresses."""
    try:
        info = await wallet.getblockchaininfo()
    except WalletError as exc:
        return [Check("rpc", False, f"{wallet.rpc.url}: {exc}")]
    checks = [
        Check("rpc", True, f"{wallet.rpc.url} answers"),
        Check(
            "chain",
            info.chain == expected_chain,
            f"node runs {info.chain!r}, config says {expected_chain!r}",
        ),
        Check(
            "sync",
            info.synced and info.verification_progress >= MIN_PROGRESS,
            f"height {info.blocks} of {info.headers} headers, "
            f"progress {info.verification_progress:.4%}"
            + (", initial block download" if info.initial_block_download else ""),
        ),
    ]
    return checks + await _wallet_checks(wallet) + await _node_address_checks(wallet, addresses)


async def _wallet_checks(wallet: WalletRpc) -> list[Check]:
    try:
        balances = await wallet.getbalances()
    except WalletError as exc:
        return [Check("wallet", False, str(exc))]
    return [
        Check("wallet", True, "loaded"),
        Check(
            "funded",
            balances.trusted > 0,
            f"{btc_string(balances.trusted)} BTC spendable, "
            f"{btc_string(balances.untrusted_pending)} pending, "
            f"{btc_string(balances.immature)} immature",
        ),
    ]


async def _node_address_checks(
    wallet: WalletRpc, addresses: Mapping[str, str | None]
) -> list[Check]:
    checks = []
    for name, address in addresses.items():
        if address is None:
            continue
        try:
            valid = await wallet.validateaddress(address)
        except WalletError as exc:
            checks.append(Check(f"{name} (node)", False, str(exc)))
            continue
        verdict = "valid" if valid else "not valid"
        checks.append(Check(f"{name} (node)", valid, f"node says {address} is {verdict}"))
    return checks
