"""One payment run: recover, track, plan, record the intent, send, store the txid.

Order inside a run (under the run lease, so runs never overlap):

1. Recover: every ``pending`` intent is looked up in the wallet by its label
   (the ``sendmany`` comment). Found: it is ``sent`` with that txid. Proven
   absent and older than ``refund_after``: ``failed`` and its debits refunded.
   Otherwise it stays pending and the run stops before paying anything new.
2. Track: ``sent`` payments get their confirmations; ``confirmed`` at
   ``confirmations_required`` (a fee bump's replacement txid is followed).
3. Plan the payouts due, in batches of at most 250 outputs.
4. Per batch: intent + outputs + ledger debits in one transaction, then
   ``sendmany`` (one per intent, never retried in this run), then txid and fee.

A wallet error answer to ``sendmany`` is final for that call, so the wallet is
searched at once and the intent settled either way. No answer (timeout, cut
connection) leaves the intent pending: the send may have gone through, and the
next run's recovery decides.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from loka_stratum.bitcoin.network import Network
from loka_stratum.observability.loggers import get_logger
from loka_stratum.payments.planner import MAX_OUTPUTS_PER_PAYMENT, Payout, ThresholdPolicy
from loka_stratum.payments.records import PaymentOutput, PaymentRecord
from loka_stratum.payments.recovery import find_send
from loka_stratum.payments.reports import PaymentResult
from loka_stratum.payments.state import Lease
from loka_stratum.payments.store import BalanceChangedError, PaymentStore
from loka_stratum.payments.wallet import WalletError, WalletRpc, WalletRpcError, WalletUnavailable
from loka_stratum.storage.schema import PaymentStatus

log = get_logger("loka_stratum.payments")

LABEL_PREFIX = "loka-payment-"
DEFAULT_REFUND_AFTER = 120.0
DEFAULT_CONFIRMATIONS = 6


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    network: Network
    thresholds: ThresholdPolicy
    confirmations_required: int = DEFAULT_CONFIRMATIONS
    refund_after: float = DEFAULT_REFUND_AFTER
    """Seconds an unresolved intent must age before proven absence refunds it."""
    send_margin: float = 60.0
    """A send starts only while the lease has this many seconds left."""
    batch_size: int = MAX_OUTPUTS_PER_PAYMENT


@dataclass(frozen=True, slots=True)
class Recovery:
    results: tuple[PaymentResult, ...]
    unresolved: int


class PaymentRunner:
    def __init__(
        self,
        store: PaymentStore,
        wallet: WalletRpc,
        settings: RunnerSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.wallet = wallet
        self.settings = settings
        self._clock = clock

    async def recover(self) -> Recovery:
        """Settle every pending intent the wallet can account for (step 1)."""
        results: list[PaymentResult] = []
        unresolved = 0
        for record in await self.store.with_status(PaymentStatus.PENDING):
            result = await self._resolve(record)
            if result is None:
                unresolved += 1
            else:
                results.append(result)
        return Recovery(tuple(results), unresolved)

    async def _resolve(self, record: PaymentRecord) -> PaymentResult | None:
        txid = await find_send(self.wallet, record.label)
        now = self._clock()
        if txid is not None:
            fee = await self._fee(txid)
            await self.store.mark_sent(record.id, txid, fee, now)
            log.info("Payment recovered as sent", payment_id=record.id, txid=txid)
            return _result(record, PaymentStatus.SENT, txid=txid, fee=fee)
        if now - record.created_at < timedelta(seconds=self.settings.refund_after):
            log.warning("Payment outcome unknown yet", payment_id=record.id, error_type="unsettled")
            return None
        error = "no wallet transaction carries this payment's label: never sent"
        await self.store.fail_and_refund(record.id, error, now)
        log.warning("Payment refunded", payment_id=record.id, error_type="payment_not_sent")
        return _result(record, PaymentStatus.FAILED, error=error, error_type="payment_not_sent")

    async def track(self) -> int:
        """Confirmations of sent payments (step 2); how many became confirmed."""
        confirmed = 0
        for record in await self.store.with_status(PaymentStatus.SENT):
            assert record.txid is not None  # sent means a txid was stored with it
            try:
                txid, confirmations = await self._confirmations(record.txid)
            except WalletRpcError as exc:
                log.warning("Payment not tracked", payment_id=record.id, error_type=exc.error_type)
                continue
            done = confirmations >= self.settings.confirmations_required
            status = PaymentStatus.CONFIRMED if done else PaymentStatus.SENT
            if (txid, confirmations, status) != (record.txid, record.confirmations, record.status):
                await self.store.track(record.id, txid, confirmations, status, self._clock())
            confirmed += done
        return confirmed

    async def _confirmations(self, txid: str) -> tuple[str, int]:
        transaction = await self.wallet.gettransaction(txid)
        if transaction.confirmations < 0 and transaction.replaced_by is not None:
            transaction = await self.wallet.gettransaction(transaction.replaced_by)
        return transaction.txid, transaction.confirmations

    async def pay(self, batch: tuple[Payout, ...], lease: Lease) -> PaymentResult | None:
        """Record one intent and send it (steps 3-4); None if a balance changed meanwhile."""
        payment_id = str(uuid.uuid4())
        label = LABEL_PREFIX + payment_id
        outputs = tuple(PaymentOutput(p.account, p.address, p.amount) for p in batch)
        try:
            await self.store.record_intent(payment_id, label, outputs, self._clock())
        except BalanceChangedError as exc:
            log.warning("Payment not recorded", error=str(exc), error_type="balance_changed")
            return None
        pending = PaymentResult(payment_id, PaymentStatus.PENDING, _total(outputs), len(outputs))
        try:
            problem = await self._preflight(pending.total, lease)
        except WalletError as exc:
            problem = str(exc), exc.error_type
        if problem is not None:
            return await self._refund(pending, *problem)
        return await self._send(pending, label, outputs)

    async def _preflight(self, total: int, lease: Lease) -> tuple[str, str] | None:
        """Why not to send, found without sending: lease nearly over, too little to spend."""
        left = datetime.fromisoformat(lease.expires_at) - self._clock()
        if left < timedelta(seconds=self.settings.send_margin):
            return "run lease about to expire; not sending", "lease_expiring"
        balances = await self.wallet.getbalances()
        if balances.trusted < total:
            message = f"wallet has {balances.trusted} sat spendable, payment needs {total} + fee"
            return message, "insufficient_funds"
        return None

    async def _send(
        self, pending: PaymentResult, label: str, outputs: tuple[PaymentOutput, ...]
    ) -> PaymentResult:
        try:
            txid = await self.wallet.sendmany({o.address: o.amount for o in outputs}, label)
        except WalletUnavailable as exc:
            await self.store.note_error(pending.id, f"send outcome unknown: {exc}", self._clock())
            log.error("Payment send unanswered", payment_id=pending.id, error_type=exc.error_type)
            return replace(pending, error=str(exc), error_type=exc.error_type)
        except WalletRpcError as exc:
            found = await find_send(self.wallet, label)
            if found is None:
                return await self._refund(pending, str(exc), exc.error_type)
            txid = found
        fee = await self._fee(txid)
        await self.store.mark_sent(pending.id, txid, fee, self._clock())
        log.info("Payment sent", payment_id=pending.id, txid=txid, total=pending.total, fee=fee)
        return replace(pending, status=PaymentStatus.SENT, txid=txid, fee=fee)

    async def _refund(self, pending: PaymentResult, error: str, error_type: str) -> PaymentResult:
        await self.store.fail_and_refund(pending.id, error, self._clock())
        log.error("Payment failed", payment_id=pending.id, error=error, error_type=error_type)
        return replace(pending, status=PaymentStatus.FAILED, error=error, error_type=error_type)

    async def _fee(self, txid: str) -> int | None:
        """The fee the wallet paid; unknown (None) rather than a failed run if it will not say."""
        try:
            return (await self.wallet.gettransaction(txid)).fee
        except WalletError:
            return None


def _total(outputs: tuple[PaymentOutput, ...]) -> int:
    return sum(output.amount for output in outputs)


def _result(
    record: PaymentRecord,
    status: PaymentStatus,
    *,
    txid: str | None = None,
    fee: int | None = None,
    error: str | None = None,
    error_type: str | None = None,
) -> PaymentResult:
    outputs = len(record.outputs)
    return PaymentResult(record.id, status, record.total, outputs, txid, fee, error, error_type)
