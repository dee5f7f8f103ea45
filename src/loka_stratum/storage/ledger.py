"""Block credits, the balance ledger and miners' payout thresholds.

A found block's reward is first written as ``credits`` (immature). When the
block is buried deep enough, one transaction turns its immature credits into
``ledger`` rows (reason ``block_reward``, reference the block hash, one row per
account) and marks the credits mature and the block confirmed; when the block
leaves the best chain, one transaction voids its credits and marks it
orphaned. A balance is ``SUM(ledger.amount)`` for the account, never a stored
total; payments (elsewhere) debit it with rows of their own.

Every step can be replayed after a crash: credits are inserted with ``ON
CONFLICT DO NOTHING`` on (block, account, kind), ledger rows on (account,
reason, reference), and both transitions apply only to a ``pending`` block and
only move credits out of ``immature``, so maturing a block twice adds nothing
and an orphaned block's credits can never reach a balance. Orphaned is final.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loka_stratum.storage.blocks import hash_from_column, hash_to_column
from loka_stratum.storage.schema import (
    BlockStatus,
    CreditKind,
    CreditStatus,
    LedgerReason,
    blocks,
    credits,
    ledger,
    miner_settings,
)
from loka_stratum.storage.upserts import insert_for


@dataclass(frozen=True, slots=True)
class NewCredit:
    account: str
    kind: CreditKind
    amount: int


@dataclass(frozen=True, slots=True)
class BlockCredit:
    block_hash: bytes
    account: str
    kind: CreditKind
    amount: int
    status: CreditStatus


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    account: str
    amount: int
    reason: LedgerReason
    reference: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DueBalance:
    """An account whose balance has reached its payout threshold."""

    account: str
    balance: int
    threshold: int


class LedgerRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # -- credits and maturity -------------------------------------------------------------

    async def add_block_credits(
        self, block_hash: bytes, new: Sequence[NewCredit], now: datetime
    ) -> int:
        """Store a block's immature credits; returns how many were new (0 on a replay)."""
        rows = [
            {
                "block_hash": hash_to_column(block_hash),
                "account": c.account,
                "kind": c.kind.value,
                "amount": c.amount,
                "status": CreditStatus.IMMATURE.value,
                "created_at": now,
                "updated_at": now,
            }
            for c in new
        ]
        if not rows:
            return 0
        async with self._engine.begin() as connection:
            statement = (
                insert_for(connection, credits)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["block_hash", "account", "kind"])
                .returning(credits.c.id)
            )
            return len((await connection.execute(statement)).all())

    async def credits_for(self, block_hash: bytes) -> list[BlockCredit]:
        query = (
            sa.select(credits)
            .where(credits.c.block_hash == hash_to_column(block_hash))
            .order_by(credits.c.account, credits.c.kind)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_credit(row) for row in rows]

    async def mature_block(self, block_hash: bytes, confirmations: int, now: datetime) -> int:
        """Confirm a pending block and move its credits to the ledger, in one transaction.

        Returns the number of ledger rows written (0 when the block was not pending).
        """
        column = hash_to_column(block_hash)
        async with self._engine.begin() as connection:
            if not await _settle(connection, column, BlockStatus.CONFIRMED, confirmations, now):
                return 0
            amounts = await _immature_by_account(connection, column)
            written = 0
            if amounts:
                rows = [_reward_row(account, amount, column, now) for account, amount in amounts]
                statement = (
                    insert_for(connection, ledger)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["account", "reason", "reference"])
                    .returning(ledger.c.id)
                )
                written = len((await connection.execute(statement)).all())
            await _move_credits(connection, column, CreditStatus.MATURE, now)
        return written

    async def orphan_block(self, block_hash: bytes, confirmations: int, now: datetime) -> int:
        """Orphan a pending block and void its credits; returns how many were voided."""
        column = hash_to_column(block_hash)
        async with self._engine.begin() as connection:
            if not await _settle(connection, column, BlockStatus.ORPHANED, confirmations, now):
                return 0
            return await _move_credits(connection, column, CreditStatus.VOID, now)

    async def uncredited_blocks(self) -> list[bytes]:
        """Pending blocks with a reward and no credits yet, oldest first."""
        has_credits = sa.exists().where(credits.c.block_hash == blocks.c.hash)
        query = (
            sa.select(blocks.c.hash)
            .where(blocks.c.status == BlockStatus.PENDING.value, blocks.c.reward > 0)
            .where(~has_credits)
            .order_by(blocks.c.height, blocks.c.id)
        )
        async with self._engine.connect() as connection:
            hashes = (await connection.execute(query)).scalars().all()
        return [hash_from_column(h) for h in hashes]

    # -- balances -------------------------------------------------------------------------

    async def balances(self) -> dict[str, int]:
        """Every account's balance: the sum of its ledger rows."""
        query = sa.select(ledger.c.account, sa.func.sum(ledger.c.amount)).group_by(ledger.c.account)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return {account: int(total) for account, total in rows}

    async def balance(self, account: str) -> int:
        query = sa.select(sa.func.coalesce(sa.func.sum(ledger.c.amount), 0)).where(
            ledger.c.account == account
        )
        async with self._engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def immature(self) -> dict[str, int]:
        """Each account's credits still waiting for their block to mature."""
        query = (
            sa.select(credits.c.account, sa.func.sum(credits.c.amount))
            .where(credits.c.status == CreditStatus.IMMATURE.value)
            .group_by(credits.c.account)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return {account: int(total) for account, total in rows}

    async def entries(self, account: str, *, limit: int = 50) -> list[LedgerEntry]:
        """The account's ledger rows, newest first."""
        query = (
            sa.select(ledger)
            .where(ledger.c.account == account)
            .order_by(ledger.c.id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            LedgerEntry(
                r["account"],
                r["amount"],
                LedgerReason(r["reason"]),
                r["reference"],
                r["created_at"],
            )
            for r in rows
        ]

    async def balances_due(self, default_threshold: int) -> list[DueBalance]:
        """Accounts whose balance is at least their threshold (their own, else the default)."""
        threshold = sa.func.coalesce(miner_settings.c.payout_threshold, default_threshold)
        totals = (
            sa.select(ledger.c.account, sa.func.sum(ledger.c.amount).label("balance"))
            .group_by(ledger.c.account)
            .subquery()
        )
        query = (
            sa.select(totals.c.account, totals.c.balance, threshold)
            .select_from(
                totals.outerjoin(miner_settings, miner_settings.c.account == totals.c.account)
            )
            .where(totals.c.balance >= threshold, totals.c.balance > 0)
            .order_by(totals.c.account)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [DueBalance(a, int(b), int(t)) for a, b, t in rows]

    # -- payout thresholds ----------------------------------------------------------------

    async def set_payout_threshold(
        self, account: str, threshold: int | None, now: datetime
    ) -> None:
        """Store the miner's own threshold (None: back to the default).

        The caller enforces ``[accounting] min_payout_threshold``.
        """
        async with self._engine.begin() as connection:
            statement = insert_for(connection, miner_settings).values(
                account=account, payout_threshold=threshold, updated_at=now
            )
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["account"],
                    set_={"payout_threshold": threshold, "updated_at": now},
                )
            )

    async def payout_threshold(self, account: str) -> int | None:
        """The miner's own threshold, or None when they have not set one."""
        query = sa.select(miner_settings.c.payout_threshold).where(
            miner_settings.c.account == account
        )
        async with self._engine.connect() as connection:
            value = (await connection.execute(query)).scalar_one_or_none()
        return None if value is None else int(value)


async def _immature_by_account(connection: AsyncConnection, column: str) -> list[tuple[str, int]]:
    """Reward and fee credits of one account add up to one ledger row."""
    query = (
        sa.select(credits.c.account, sa.func.sum(credits.c.amount))
        .where(credits.c.block_hash == column, credits.c.status == CreditStatus.IMMATURE.value)
        .group_by(credits.c.account)
        .order_by(credits.c.account)
    )
    rows = (await connection.execute(query)).all()
    return [(account, int(total)) for account, total in rows if int(total) > 0]


async def _move_credits(
    connection: AsyncConnection, column: str, status: CreditStatus, now: datetime
) -> int:
    statement = (
        sa.update(credits)
        .where(credits.c.block_hash == column, credits.c.status == CreditStatus.IMMATURE.value)
        .values(status=status.value, updated_at=now)
    )
    return (await connection.execute(statement)).rowcount


async def _settle(
    connection: AsyncConnection, column: str, status: BlockStatus, confirmations: int, now: datetime
) -> bool:
    """Move a pending block to its final status; False when it was not pending (a replay)."""
    statement = (
        sa.update(blocks)
        .where(blocks.c.hash == column, blocks.c.status == BlockStatus.PENDING.value)
        .values(status=status.value, confirmations=confirmations, updated_at=now)
    )
    return (await connection.execute(statement)).rowcount == 1


def _reward_row(account: str, amount: int, reference: str, now: datetime) -> dict[str, object]:
    return {
        "account": account,
        "amount": amount,
        "reason": LedgerReason.BLOCK_REWARD.value,
        "reference": reference,
        "created_at": now,
    }


def _credit(row: sa.RowMapping) -> BlockCredit:
    return BlockCredit(
        block_hash=hash_from_column(row["block_hash"]),
        account=row["account"],
        kind=CreditKind(row["kind"]),
        amount=row["amount"],
        status=CreditStatus(row["status"]),
    )
