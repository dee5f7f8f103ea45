"""What a payment run did and what the payment system looks like: JSON-friendly values.

``Outcome`` says whether a run happened at all: ``completed`` (it ran; look at
its payments for failures), ``paused`` (an automatic run while payments are
paused), ``no_wallet`` (the embedded chain or no bitcoind: nothing can be
paid, and nothing pretends to be), ``busy`` (another run holds the lease),
``wallet_unavailable`` (the wallet did not answer or refused, e.g. not
loaded; unresolved intents stay pending for the next run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from loka_stratum.payments.planner import Payout, Skipped
from loka_stratum.payments.records import PaymentTotals
from loka_stratum.storage.schema import PaymentStatus

Outcome = Literal["completed", "paused", "no_wallet", "busy", "wallet_unavailable"]


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """One intent's fate in this run (a new payment, or an old one recovered)."""

    id: str
    status: PaymentStatus
    total: int
    outputs: int
    txid: str | None = None
    fee: int | None = None
    error: str | None = None
    error_type: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "total": self.total,
            "outputs": self.outputs,
            "txid": self.txid,
            "fee": self.fee,
            "error": self.error,
            "error_type": self.error_type,
        }


@dataclass(frozen=True, slots=True)
class RunReport:
    outcome: Outcome
    manual: bool
    started_at: datetime
    finished_at: datetime
    message: str
    payments: tuple[PaymentResult, ...] = ()
    recovered: tuple[PaymentResult, ...] = ()
    confirmed: int = 0
    skipped: tuple[Skipped, ...] = ()
    unresolved: int = 0

    @property
    def ok(self) -> bool:
        """It ran, every payment it made is sent, and nothing is left unresolved.

        A recovered intent refunded as never sent is a settled outcome, not a failure.
        """
        settled = all(result.status is PaymentStatus.SENT for result in self.payments)
        return self.outcome == "completed" and settled and self.unresolved == 0

    @property
    def paid(self) -> int:
        return sum(r.total for r in self.payments if r.status is PaymentStatus.SENT)

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "ok": self.ok,
            "manual": self.manual,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "message": self.message,
            "paid": self.paid,
            "payments": [result.to_json() for result in self.payments],
            "recovered": [result.to_json() for result in self.recovered],
            "confirmed": self.confirmed,
            "skipped": [skipped_json(item) for item in self.skipped],
            "unresolved": self.unresolved,
        }


def skipped_json(item: Skipped) -> dict[str, Any]:
    return {"account": item.account, "balance": item.balance, "reason": item.reason}


@dataclass(frozen=True, slots=True)
class QueuedPayout:
    """A payout the next run would make, as the admin API and ``payments queue`` list it."""

    account: str
    address: str
    amount: int
    threshold: int

    @classmethod
    def of(cls, payout: Payout) -> QueuedPayout:
        return cls(payout.account, payout.address, payout.amount, payout.threshold)

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "address": self.address,
            "amount": self.amount,
            "threshold": self.threshold,
        }


@dataclass(frozen=True, slots=True)
class PaymentsStatus:
    """``pending_count``: intents recorded whose send is not yet proven (normally 0)."""

    paused: bool
    wallet_configured: bool
    pending_count: int
    unconfirmed_count: int
    queued_count: int
    queued_total: int
    totals: PaymentTotals
    last_run: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "paused": self.paused,
            "wallet_configured": self.wallet_configured,
            "pending_count": self.pending_count,
            "unconfirmed_count": self.unconfirmed_count,
            "queued_count": self.queued_count,
            "queued_total": self.queued_total,
            "paid_total": self.totals.paid,
            "totals": self.totals.to_json(),
            "last_run": self.last_run,
        }
