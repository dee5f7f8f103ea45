"""`/api/admin/payments/status|pause|resume|queue`: the payment system, as the runbook drives it.

The routes call the pool's `PaymentsControl` (the same object the CLI's
`loka-stratum payments ...` and the periodic task use), so pausing here pauses
the automatic runs for real. Pause stops automatic runs only; a manual run
(`payments process --manual`) still goes ahead, as the runbook expects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from fastapi import APIRouter, Depends
from pydantic import Field

from loka_stratum.api.public.models import Frozen


class JsonValue(Protocol):
    def to_json(self) -> dict[str, Any]: ...


class PaymentsAdmin(Protocol):
    """`payments.control.PaymentsControl` as the admin API uses it."""

    async def status(self) -> JsonValue: ...

    async def pause(self) -> JsonValue: ...

    async def resume(self) -> JsonValue: ...

    async def queue(self) -> Sequence[JsonValue]: ...


class PaymentsStatusOut(Frozen):
    paused: bool = Field(description="Automatic payment runs are paused.")
    wallet_configured: bool
    pending_count: int = Field(description="Payment intents recorded, send not yet proven.")
    unconfirmed_count: int = Field(description="Sent, not yet buried.")
    queued_count: int = Field(description="Payouts the next run would make.")
    queued_total: int
    paid_total: int
    totals: dict[str, Any] = Field(description="Count and amount per payment status.")
    last_run: dict[str, Any] | None


class QueuedPayoutOut(Frozen):
    account: str
    address: str
    amount: int
    threshold: int


class PaymentsQueueOut(Frozen):
    pending_count: int = Field(description="Payouts waiting for the next run.")
    pending_total: int
    data: list[QueuedPayoutOut]


def payments_router(control: PaymentsAdmin, gate: Any) -> APIRouter:
    """Mounted under `/api/admin`; `gate`: the bearer-token dependency (`admin.AdminGate`)."""
    router = APIRouter(prefix="/payments", tags=["admin"], dependencies=[Depends(gate)])

    @router.get("/status", response_model=PaymentsStatusOut)
    async def status() -> PaymentsStatusOut:
        """Paused or not, intents pending, queue size, totals and the last run."""
        return PaymentsStatusOut(**(await control.status()).to_json())

    @router.post("/pause", response_model=PaymentsStatusOut)
    async def pause() -> PaymentsStatusOut:
        """Stop automatic payment runs (manual runs still go ahead)."""
        return PaymentsStatusOut(**(await control.pause()).to_json())

    @router.post("/resume", response_model=PaymentsStatusOut)
    async def resume() -> PaymentsStatusOut:
        """Let automatic payment runs go ahead again."""
        return PaymentsStatusOut(**(await control.resume()).to_json())

    @router.get("/queue", response_model=PaymentsQueueOut)
    async def queue() -> PaymentsQueueOut:
        """What the next run would pay, largest first."""
        payouts = [QueuedPayoutOut(**payout.to_json()) for payout in await control.queue()]
        return PaymentsQueueOut(
            pending_count=len(payouts),
            pending_total=sum(payout.amount for payout in payouts),
            data=payouts,
        )

    return router
