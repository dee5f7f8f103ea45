"""Payments as stored: intents with their outputs, and totals per status.

Values only; `to_json` gives the JSON-friendly form the CLI and the admin API
print (amounts in satoshis, times as ISO 8601 UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from loka_stratum.storage.schema import PaymentStatus


@dataclass(frozen=True, slots=True)
class PaymentOutput:
    account: str
    address: str
    amount: int

    def row(self) -> dict[str, Any]:
        return {"account": self.account, "address": self.address, "amount": self.amount}


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """One intent: pending until a txid is known, then sent, confirmed or failed."""

    id: str
    label: str
    status: PaymentStatus
    total: int
    fee: int | None
    txid: str | None
    confirmations: int
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    outputs: tuple[PaymentOutput, ...]

    @classmethod
    def from_row(cls, row: sa.RowMapping, outputs: list[PaymentOutput]) -> PaymentRecord:
        return cls(
            id=row["id"],
            label=row["label"],
            status=PaymentStatus(row["status"]),
            total=row["total"],
            fee=row["fee"],
            txid=row["txid"],
            confirmations=row["confirmations"],
            error=row["error"],
            created_at=row["created_at"],
            sent_at=row["sent_at"],
            outputs=tuple(outputs),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "status": self.status.value,
            "total": self.total,
            "fee": self.fee,
            "txid": self.txid,
            "confirmations": self.confirmations,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
            "sent_at": None if self.sent_at is None else self.sent_at.isoformat(),
            "outputs": [output.row() for output in self.outputs],
        }


@dataclass(frozen=True, slots=True)
class StatusTotal:
    count: int = 0
    amount: int = 0


@dataclass(frozen=True, slots=True)
class PaymentTotals:
    """Count and satoshis of the payments in each status."""

    pending: StatusTotal
    sent: StatusTotal
    confirmed: StatusTotal
    failed: StatusTotal

    @classmethod
    def from_counts(cls, counts: Mapping[PaymentStatus, tuple[int, int]]) -> PaymentTotals:
        def total(status: PaymentStatus) -> StatusTotal:
            return StatusTotal(*counts.get(status, (0, 0)))

        return cls(
            pending=total(PaymentStatus.PENDING),
            sent=total(PaymentStatus.SENT),
            confirmed=total(PaymentStatus.CONFIRMED),
            failed=total(PaymentStatus.FAILED),
        )

    @property
    def paid(self) -> int:
        """Satoshis that left the wallet (sent or confirmed)."""
        return self.sent.amount + self.confirmed.amount

    def to_json(self) -> dict[str, Any]:
        return {
            status: {"count": value.count, "amount": value.amount}
            for status, value in (
                ("pending", self.pending),
                ("sent", self.sent),
                ("confirmed", self.confirmed),
                ("failed", self.failed),
            )
        }
