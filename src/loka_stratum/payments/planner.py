"""Who is paid how much in the next run (pure: no I/O, no clock).

Who pays the network fee: the pool. ``sendmany`` is called without
``subtractfeefromamount``, so each miner receives exactly the balance the
ledger debits, and the fee comes out of the pool wallet's own funds (the pool
fee and coinbase change keep it stocked). That keeps every payout an integer
number of satoshis that is known before the send, and makes "balance after a
payment" exactly zero instead of "zero minus a share of a fee we learn later".

A miner is paid their whole balance once it reaches their threshold: their own
choice (``miner_settings``) or the pool default, never below the pool minimum
and never below dust. The account name must be an address of the pool's
network; anything else (a worker name, another network's address) is skipped
with the reason, so an operator can see why a balance is not moving.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from loka_stratum.bitcoin.address import AddressError, address_to_script
from loka_stratum.bitcoin.network import Network

DUST_SATOSHIS: Final = 546
MAX_OUTPUTS_PER_PAYMENT: Final = 250
"""Outputs in one ``sendmany``: keeps the transaction far below the 100 kvB standard limit."""


@dataclass(frozen=True, slots=True)
class ThresholdPolicy:
    """The pool default and the floor a miner's own choice is raised to."""

    default: int
    minimum: int

    def __post_init__(self) -> None:
        if not DUST_SATOSHIS <= self.minimum <= self.default:
            raise ValueError("need dust <= minimum <= default threshold")

    def for_account(self, chosen: int | None) -> int:
        return self.default if chosen is None else max(chosen, self.minimum)


@dataclass(frozen=True, slots=True)
class Payout:
    account: str
    address: str
    amount: int
    threshold: int


@dataclass(frozen=True, slots=True)
class Skipped:
    """A balance over its threshold that cannot be paid, and why."""

    account: str
    balance: int
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    payouts: tuple[Payout, ...]
    skipped: tuple[Skipped, ...]

    @property
    def total(self) -> int:
        return sum(payout.amount for payout in self.payouts)

    def batches(self, size: int = MAX_OUTPUTS_PER_PAYMENT) -> list[tuple[Payout, ...]]:
        """The payouts cut into ``sendmany`` calls of at most ``size`` outputs."""
        return [self.payouts[start : start + size] for start in range(0, len(self.payouts), size)]


def plan_payouts(
    balances: Mapping[str, int],
    chosen_thresholds: Mapping[str, int | None],
    policy: ThresholdPolicy,
    network: Network,
) -> Plan:
    """Every balance at or over its threshold, largest first (ties by account)."""
    payouts: list[Payout] = []
    skipped: list[Skipped] = []
    paid_scripts: dict[bytes, str] = {}
    for account, balance in sorted(balances.items()):
        threshold = policy.for_account(chosen_thresholds.get(account))
        if balance < threshold:
            continue
        try:
            script = _exact_address_script(account, network)
        except AddressError as exc:
            skipped.append(Skipped(account, balance, f"not a payable address: {exc}"))
            continue
        if script in paid_scripts:
            reason = f"same address as account {paid_scripts[script]!r}; paid in a later run"
            skipped.append(Skipped(account, balance, reason))
            continue
        paid_scripts[script] = account
        payouts.append(Payout(account, account, balance, threshold))
    payouts.sort(key=lambda payout: (-payout.amount, payout.account))
    return Plan(tuple(payouts), tuple(skipped))


def _exact_address_script(account: str, network: Network) -> bytes:
    """The output script of an account that is exactly an address of ``network``.

    One output per script: ``sendmany`` refuses a duplicated address, and two
    spellings of one bech32 address (upper and lower case) are the same output.
    """
    if account != account.strip():
        raise AddressError("surrounding whitespace")
    return address_to_script(account, network)
