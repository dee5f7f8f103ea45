"""Payments in the database: intents, their outputs, and the ledger rows that move with them.

The rule that makes a crash harmless: an intent, its outputs and the ledger
debits commit in one transaction *before* the wallet is asked to send, and a
refund (``payment_refund``, same reference) is written in the same transaction
that marks the intent failed. Whatever moment a process dies, each account's
balance (the sum of its ledger rows) either still holds the money or the
payments table says where it went; the unique (account, reason, reference)
key makes a replayed debit or refund impossible.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loka_stratum.payments.records import PaymentOutput, PaymentRecord, PaymentTotals
from loka_stratum.storage.engine import SQLITE_BEGIN_IMMEDIATE
from loka_stratum.storage.ledger import LedgerRepository
from loka_stratum.storage.schema import (
    LedgerReason,
    PaymentStatus,
    ledger,
    miner_settings,
    payment_outputs,
    payments,
)


class BalanceChangedError(Exception):
    """An account's balance fell below its planned payout before the intent was recorded."""


class PaymentStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._ledger = LedgerRepository(engine)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction holding SQLite's write lock from its first read (no upgrade deadlock)."""
        async with self._engine.connect() as connection:
            await connection.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True})
            async with connection.begin():
                yield connection

    async def balances(self) -> dict[str, int]:
        """Every positive balance (the accounting side's ledger sums)."""
        balances = await self._ledger.balances()
        return {account: amount for account, amount in balances.items() if amount > 0}

    async def chosen_thresholds(self) -> dict[str, int | None]:
        query = sa.select(miner_settings.c.account, miner_settings.c.payout_threshold)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return {str(account): threshold for account, threshold in rows}

    async def record_intent(
        self, payment_id: str, label: str, outputs: Iterable[PaymentOutput], now: datetime
    ) -> None:
        """Intent (pending), outputs and debits in one transaction; nothing if a balance fell."""
        outputs = list(outputs)
        async with self._write() as connection:
            await _check_balances(connection, outputs)
            await connection.execute(
                sa.insert(payments).values(
                    id=payment_id,
                    label=label,
                    status=PaymentStatus.PENDING.value,
                    total=sum(output.amount for output in outputs),
                    confirmations=0,
                    created_at=now,
                    updated_at=now,
                )
            )
            await connection.execute(
                sa.insert(payment_outputs),
                [{"payment_id": payment_id, **output.row()} for output in outputs],
            )
            await _ledger(connection, outputs, LedgerReason.PAYMENT, payment_id, -1, now)

    async def mark_sent(self, payment_id: str, txid: str, fee: int | None, now: datetime) -> bool:
        """pending -> sent; False when the intent was not pending (already resolved)."""
        statement = (
            sa.update(payments)
            .where(payments.c.id == payment_id, payments.c.status == PaymentStatus.PENDING.value)
            .values(status=PaymentStatus.SENT.value, txid=txid, fee=fee, sent_at=now)
            .values(updated_at=now, error=None)
        )
        async with self._write() as connection:
            return (await connection.execute(statement)).rowcount == 1

    async def fail_and_refund(self, payment_id: str, error: str, now: datetime) -> bool:
        """pending -> failed and every debit given back, together; False if not pending."""
        statement = (
            sa.update(payments)
            .where(payments.c.id == payment_id, payments.c.status == PaymentStatus.PENDING.value)
            .values(status=PaymentStatus.FAILED.value, error=error, updated_at=now)
        )
        async with self._write() as connection:
            if (await connection.execute(statement)).rowcount != 1:
                return False
            outputs = await _outputs(connection, [payment_id])
            reason = LedgerReason.PAYMENT_REFUND
            await _ledger(connection, outputs[payment_id], reason, payment_id, 1, now)
        return True

    async def note_error(self, payment_id: str, error: str, now: datetime) -> None:
        """Why a pending intent is still unresolved (the operator reads it in status)."""
        statement = (
            sa.update(payments)
            .where(payments.c.id == payment_id)
            .values(error=error, updated_at=now)
        )
        async with self._engine.begin() as connection:
            await connection.execute(statement)

    async def track(
        self, payment_id: str, txid: str, confirmations: int, status: PaymentStatus, now: datetime
    ) -> None:
        """A sent payment's latest confirmations (and txid, after a fee bump replaced it)."""
        statement = (
            sa.update(payments)
            .where(payments.c.id == payment_id)
            .values(txid=txid, confirmations=confirmations, status=status.value, updated_at=now)
        )
        async with self._engine.begin() as connection:
            await connection.execute(statement)

    async def with_status(self, status: PaymentStatus) -> builtins.list[PaymentRecord]:
        """Oldest first, with their outputs."""
        query = sa.select(payments).where(payments.c.status == status.value)
        query = query.order_by(payments.c.created_at, payments.c.id)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
            outputs = await _outputs(connection, [row["id"] for row in rows])
        return [PaymentRecord.from_row(row, outputs[row["id"]]) for row in rows]

    async def totals(self) -> PaymentTotals:
        query = sa.select(
            payments.c.status, sa.func.count(), sa.func.coalesce(sa.func.sum(payments.c.total), 0)
        ).group_by(payments.c.status)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return PaymentTotals.from_counts(
            {PaymentStatus(status): (int(count), int(total)) for status, count, total in rows}
        )


async def _check_balances(connection: AsyncConnection, outputs: list[PaymentOutput]) -> None:
    accounts = [output.account for output in outputs]
    query = (
        sa.select(ledger.c.account, sa.func.sum(ledger.c.amount))
        .where(ledger.c.account.in_(accounts))
        .group_by(ledger.c.account)
    )
    rows = (await connection.execute(query)).all()
    balances = {account: int(total) for account, total in rows}
    short = [out.account for out in outputs if balances.get(out.account, 0) < out.amount]
    if short:
        raise BalanceChangedError(f"balance below the planned payout: {', '.join(short)}")


async def _outputs(
    connection: AsyncConnection, payment_ids: list[str]
) -> dict[str, builtins.list[PaymentOutput]]:
    found: dict[str, builtins.list[PaymentOutput]] = {payment_id: [] for payment_id in payment_ids}
    if not payment_ids:
        return found
    query = (
        sa.select(payment_outputs)
        .where(payment_outputs.c.payment_id.in_(payment_ids))
        .order_by(payment_outputs.c.payment_id, payment_outputs.c.account)
    )
    for row in (await connection.execute(query)).mappings():
        found[row["payment_id"]].append(
            PaymentOutput(row["account"], row["address"], row["amount"])
        )
    return found


async def _ledger(
    connection: AsyncConnection,
    outputs: Iterable[PaymentOutput],
    reason: LedgerReason,
    reference: str,
    sign: int,
    now: datetime,
) -> None:
    rows = [
        {
            "account": output.account,
            "amount": sign * output.amount,
            "reason": reason.value,
            "reference": reference,
            "created_at": now,
        }
        for output in outputs
    ]
    await connection.execute(sa.insert(ledger), rows)
