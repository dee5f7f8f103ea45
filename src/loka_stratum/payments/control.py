"""`PaymentsControl`: the one entry point for the CLI, the admin API and the periodic task.

Pause stops *automatic* runs (``process(manual=False)``); a manual run is the
operator's explicit act and goes ahead while paused, which is what the
runbook's "pause automatic payments, then ``payments process --manual``"
needs. Without a wallet (the embedded chain) balances are still planned and
queued, but a run reports ``no_wallet`` and pays nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from loka_stratum.observability.loggers import get_logger
from loka_stratum.payments.planner import Plan, plan_payouts
from loka_stratum.payments.reports import (
    Outcome,
    PaymentResult,
    PaymentsStatus,
    QueuedPayout,
    RunReport,
)
from loka_stratum.payments.runner import PaymentRunner, RunnerSettings
from loka_stratum.payments.state import LAST_RUN_KEY, PAUSED_KEY, Lease, PoolState, RunLease
from loka_stratum.payments.store import PaymentStore
from loka_stratum.payments.wallet import WalletError, WalletRpc
from loka_stratum.storage import Database
from loka_stratum.storage.schema import PaymentStatus

log = get_logger("loka_stratum.payments")

NO_WALLET = "no wallet configured (embedded chain): balances are kept, nothing is paid"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Progress:
    """What a run did so far, kept when the wallet stops answering halfway."""

    payments: list[PaymentResult] = field(default_factory=list)
    recovered: tuple[PaymentResult, ...] = ()
    confirmed: int = 0
    unresolved: int = 0
    plan: Plan | None = None


class PaymentsControl:
    def __init__(
        self,
        database: Database,
        *,
        wallet: WalletRpc | None,
        settings: RunnerSettings,
        lease: RunLease | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = PaymentStore(database.engine)
        self.state = PoolState(database.engine)
        self.settings = settings
        self.lease = lease or RunLease(self.state)
        self.runner = None if wallet is None else PaymentRunner(self.store, wallet, settings, clock)
        self._clock = clock

    async def paused(self) -> bool:
        return await self.state.get(PAUSED_KEY) == "true"

    async def pause(self) -> PaymentsStatus:
        await self.state.put(PAUSED_KEY, "true", self._clock())
        return await self.status()

    async def resume(self) -> PaymentsStatus:
        await self.state.put(PAUSED_KEY, "false", self._clock())
        return await self.status()

    async def plan(self) -> Plan:
        balances = await self.store.balances()
        chosen = await self.store.chosen_thresholds()
        return plan_payouts(balances, chosen, self.settings.thresholds, self.settings.network)

    async def queue(self) -> list[QueuedPayout]:
        """What the next run would pay, largest first."""
        return [QueuedPayout.of(payout) for payout in (await self.plan()).payouts]

    async def status(self) -> PaymentsStatus:
        totals = await self.store.totals()
        plan = await self.plan()
        last_run = await self.state.get(LAST_RUN_KEY)
        return PaymentsStatus(
            paused=await self.paused(),
            wallet_configured=self.runner is not None,
            pending_count=totals.pending.count,
            unconfirmed_count=totals.sent.count,
            queued_count=len(plan.payouts),
            queued_total=plan.total,
            totals=totals,
            last_run=None if last_run is None else _json_object(last_run),
        )

    async def process(self, manual: bool) -> RunReport:
        """One payment run; its report is also kept as the status's ``last_run``."""
        report = await self._process(manual, self._clock())
        await self.state.put(LAST_RUN_KEY, json.dumps(report.to_json()), self._clock())
        return report

    async def _process(self, manual: bool, started: datetime) -> RunReport:
        if self.runner is None:
            return self._report("no_wallet", manual, started, NO_WALLET)
        if not manual and await self.paused():
            return self._report("paused", manual, started, "payments are paused")
        lease = await self.lease.acquire(started)
        if lease is None:
            return self._report("busy", manual, started, "another payment run is in progress")
        progress = _Progress()
        try:
            await self._run(self.runner, lease, progress)
        except WalletError as exc:  # unreachable, not loaded, locked: nothing new was sent
            log.error("Payment run stopped", error=str(exc), error_type=exc.error_type)
            return self._report("wallet_unavailable", manual, started, str(exc), progress)
        finally:
            await self.lease.release(lease)
        return self._report("completed", manual, started, _summary(progress), progress)

    async def _run(self, runner: PaymentRunner, lease: Lease, progress: _Progress) -> None:
        await runner.wallet.getbalances()  # reachable and loaded, before anything is recorded
        recovery = await runner.recover()
        progress.recovered, progress.unresolved = recovery.results, recovery.unresolved
        progress.confirmed = await runner.track()
        if recovery.unresolved:
            return  # an unsettled intent first: its outcome decides what is still owed
        progress.plan = await self.plan()
        for batch in progress.plan.batches(self.settings.batch_size):
            result = await runner.pay(batch, lease)
            if result is not None:
                progress.payments.append(result)
            if result is not None and result.status is PaymentStatus.PENDING:
                return  # no answer from the wallet: stop before another send

    def _report(
        self,
        outcome: Outcome,
        manual: bool,
        started: datetime,
        message: str,
        progress: _Progress | None = None,
    ) -> RunReport:
        progress = progress or _Progress()
        return RunReport(
            outcome=outcome,
            manual=manual,
            started_at=started,
            finished_at=self._clock(),
            message=message,
            payments=tuple(progress.payments),
            recovered=progress.recovered,
            confirmed=progress.confirmed,
            skipped=() if progress.plan is None else progress.plan.skipped,
            unresolved=progress.unresolved + _still_pending(progress.payments),
        )


def _still_pending(results: list[PaymentResult]) -> int:
    return sum(result.status is PaymentStatus.PENDING for result in results)


def _summary(progress: _Progress) -> str:
    if progress.unresolved:
        return f"{progress.unresolved} earlier payment(s) unresolved; nothing new paid"
    sent = [r for r in progress.payments if r.status is PaymentStatus.SENT]
    if not progress.payments:
        return "nothing due"
    paid = sum(r.total for r in sent)
    return f"{len(sent)} of {len(progress.payments)} payment(s) sent, {paid} sat"


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
