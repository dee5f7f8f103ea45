"""What the wallet RPC answers, as typed values: amounts in satoshis, hashes as hex.

Parsers raise ``KeyError``/``TypeError``/``ValueError`` on a reply of the wrong
shape; `WalletRpc` turns those into ``WalletUnavailable`` (no usable answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

SATOSHIS_PER_BTC: Final = 100_000_000
_TXID = re.compile(r"[0-9a-f]{64}")


def btc_string(satoshis: int) -> str:
    """Satoshis as the exact decimal BTC string bitcoind parses ("0.00010000")."""
    sign = "-" if satoshis < 0 else ""
    whole, fraction = divmod(abs(satoshis), SATOSHIS_PER_BTC)
    return f"{sign}{whole}.{fraction:08d}"


def to_satoshis(value: Any) -> int:
    """A BTC amount from a JSON reply (a number with at most 8 decimals) in satoshis."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"malformed amount {value!r}")
    amount = Decimal(str(value)) * SATOSHIS_PER_BTC
    if amount != amount.to_integral_value():
        raise ValueError(f"amount {value!r} is not a whole number of satoshis")
    return int(amount)


def txid_of(value: Any) -> str:
    if not isinstance(value, str) or not _TXID.fullmatch(value):
        raise ValueError(f"malformed txid {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class WalletEntry:
    """One ``listtransactions`` line; a send to N addresses is N lines with one txid."""

    txid: str
    category: str
    amount: int
    fee: int | None
    time: int
    comment: str | None
    confirmations: int


@dataclass(frozen=True, slots=True)
class WalletTransaction:
    """``gettransaction``: confirmations < 0 mean conflicted (``replaced_by`` after a bump)."""

    txid: str
    confirmations: int
    fee: int | None
    comment: str | None
    replaced_by: str | None


@dataclass(frozen=True, slots=True)
class WalletBalances:
    """``getbalances`` ``mine``: trusted is what a send can spend now."""

    trusted: int
    untrusted_pending: int
    immature: int


@dataclass(frozen=True, slots=True)
class ChainInfo:
    chain: str
    blocks: int
    headers: int
    initial_block_download: bool
    verification_progress: float

    @property
    def synced(self) -> bool:
        return not self.initial_block_download and self.blocks >= self.headers


def _fee(value: Any) -> int | None:
    """bitcoind reports a send's fee as a negative amount; we keep it positive."""
    return None if value is None else abs(to_satoshis(value))


def _comment(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def wallet_entry(entry: dict[str, Any]) -> WalletEntry:
    return WalletEntry(
        txid=txid_of(entry["txid"]),
        category=str(entry["category"]),
        amount=to_satoshis(entry["amount"]),
        fee=_fee(entry.get("fee")),
        time=int(entry["time"]),
        comment=_comment(entry.get("comment")),
        confirmations=int(entry.get("confirmations", 0)),
    )


def wallet_transaction(reply: dict[str, Any]) -> WalletTransaction:
    replaced = reply.get("replaced_by_txid")
    return WalletTransaction(
        txid=txid_of(reply["txid"]),
        confirmations=int(reply["confirmations"]),
        fee=_fee(reply.get("fee")),
        comment=_comment(reply.get("comment")),
        replaced_by=None if replaced is None else txid_of(replaced),
    )


def wallet_balances(reply: dict[str, Any]) -> WalletBalances:
    mine = reply["mine"]
    return WalletBalances(
        trusted=to_satoshis(mine["trusted"]),
        untrusted_pending=to_satoshis(mine["untrusted_pending"]),
        immature=to_satoshis(mine["immature"]),
    )


def chain_info(reply: dict[str, Any]) -> ChainInfo:
    return ChainInfo(
        chain=str(reply["chain"]),
        blocks=int(reply["blocks"]),
        headers=int(reply["headers"]),
        initial_block_download=bool(reply["initialblockdownload"]),
        verification_progress=float(reply["verificationprogress"]),
    )
