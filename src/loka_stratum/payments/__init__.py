"""Paying miners: plan from ledger balances, record an intent, ``sendmany``, recover.

`PaymentsControl` is the entry point (CLI, admin API, the pool's periodic task);
`WalletRpc` speaks bitcoind's wallet RPC; `plan_payouts` is the pure planner.
See ``runner.py`` for the order of a run and ``recovery.py`` for how a crash
between recording an intent and storing its txid is settled without a second send.
"""

from loka_stratum.payments.control import PaymentsControl
from loka_stratum.payments.planner import Payout, Plan, Skipped, ThresholdPolicy, plan_payouts
from loka_stratum.payments.records import PaymentOutput, PaymentRecord, PaymentTotals
from loka_stratum.payments.reports import (
    Outcome,
    PaymentResult,
    PaymentsStatus,
    QueuedPayout,
    RunReport,
)
from loka_stratum.payments.runner import RunnerSettings
from loka_stratum.payments.wallet import (
    InsufficientFundsError,
    WalletError,
    WalletNotLoadedError,
    WalletRpc,
    WalletRpcError,
    WalletUnavailable,
)

__all__ = [
    "InsufficientFundsError",
    "Outcome",
    "PaymentOutput",
    "PaymentRecord",
    "PaymentResult",
    "PaymentTotals",
    "PaymentsControl",
    "PaymentsStatus",
    "Payout",
    "Plan",
    "QueuedPayout",
    "RunReport",
    "RunnerSettings",
    "Skipped",
    "ThresholdPolicy",
    "WalletError",
    "WalletNotLoadedError",
    "WalletRpc",
    "WalletRpcError",
    "WalletUnavailable",
    "plan_payouts",
]
