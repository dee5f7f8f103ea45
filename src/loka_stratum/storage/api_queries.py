"""Read-only queries behind the public API: totals, rankings, pages. Nothing here writes.

Hashrate windows are whole ``share_stats`` minutes. A window of S seconds ending
at ``now`` starts at the first minute boundary at or after ``now - S`` and
includes the current, partly filled minute, so it covers exactly
``now - since`` seconds: dividing by that span (``Window.seconds``), not by S,
keeps the figure honest at the edges.

Amounts are integer satoshis; SQL ``SUM`` of nothing is NULL, read as 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from loka_stratum.storage.schema import (
    CreditStatus,
    PaymentStatus,
    blocks,
    credits,
    ledger,
    payment_outputs,
    payments,
    share_stats,
    shares,
    workers,
)
from loka_stratum.storage.upserts import utc

BUCKET_SECONDS = 60
PAID = (PaymentStatus.SENT.value, PaymentStatus.CONFIRMED.value)


@dataclass(frozen=True, slots=True)
class Window:
    since: float
    seconds: float
    """Span actually covered: ``now - since``."""


def window_ending(now: float, seconds: float) -> Window:
    since = math.ceil((now - seconds) / BUCKET_SECONDS) * BUCKET_SECONDS
    return Window(since, max(now - since, 1.0))


@dataclass(frozen=True, slots=True)
class Totals:
    """Share counts and accepted difficulty of one account (or the pool) over a window."""

    key: str
    accepted_count: int
    accepted_difficulty: float
    rejected_count: int
    workers: int


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict[str, Any]]
    total: int


@dataclass(frozen=True, slots=True)
class Funds:
    balance: int
    immature: int
    paid: int


_TOTALS = (
    sa.func.coalesce(sa.func.sum(share_stats.c.accepted_count), 0).label("accepted_count"),
    sa.func.coalesce(sa.func.sum(share_stats.c.accepted_difficulty), 0.0).label("difficulty"),
    sa.func.coalesce(sa.func.sum(share_stats.c.rejected_count), 0).label("rejected_count"),
    sa.func.count(sa.distinct(share_stats.c.account + "." + share_stats.c.worker)).label("workers"),
)


def _totals(key: str, row: sa.RowMapping) -> Totals:
    return Totals(
        key=key,
        accepted_count=int(row["accepted_count"]),
        accepted_difficulty=float(row["difficulty"]),
        rejected_count=int(row["rejected_count"]),
        workers=int(row["workers"]),
    )


class ApiQueries:
    """One per database engine; every method opens a short read-only connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _rows(self, query: sa.Select[Any]) -> list[sa.RowMapping]:
        async with self._engine.connect() as connection:
            return list((await connection.execute(query)).mappings().all())

    async def _scalar(self, query: sa.Select[Any]) -> Any:
        async with self._engine.connect() as connection:
            return (await connection.execute(query)).scalar_one()

    async def pool_totals(self, window: Window) -> Totals:
        query = sa.select(*_TOTALS).where(share_stats.c.bucket_start >= utc(window.since))
        return _totals("pool", (await self._rows(query))[0])

    async def top_accounts(self, window: Window, limit: int) -> list[Totals]:
        """Accounts by accepted difficulty over the window, highest first."""
        query = (
            sa.select(share_stats.c.account, *_TOTALS)
            .where(share_stats.c.bucket_start >= utc(window.since))
            .group_by(share_stats.c.account)
            .order_by(sa.desc("difficulty"), share_stats.c.account)
            .limit(limit)
        )
        return [_totals(row["account"], row) for row in await self._rows(query)]

    async def worker_totals(self, window: Window, account: str | None = None) -> list[Totals]:
        """Per worker (key ``account.worker``) over the window, highest difficulty first."""
        query = sa.select(share_stats.c.account, share_stats.c.worker, *_TOTALS).where(
            share_stats.c.bucket_start >= utc(window.since)
        )
        if account is not None:
            query = query.where(share_stats.c.account == account)
        query = query.group_by(share_stats.c.account, share_stats.c.worker).order_by(
            sa.desc("difficulty"), share_stats.c.account, share_stats.c.worker
        )
        return [
            _totals(f"{row['account']}.{row['worker']}", row) for row in await self._rows(query)
        ]

    async def account_workers(self, account: str) -> list[dict[str, Any]]:
        """Every worker ever seen for the account (name, first and last seen)."""
        query = (
            sa.select(workers.c.name, workers.c.first_seen, workers.c.last_seen)
            .where(workers.c.account == account)
            .order_by(workers.c.name)
        )
        return [dict(row) for row in await self._rows(query)]

    async def recent_shares(self, account: str, limit: int) -> list[dict[str, Any]]:
        query = (
            sa.select(
                shares.c.worker,
                shares.c.difficulty,
                shares.c.share_difficulty,
                shares.c.created_at,
                shares.c.is_block,
                shares.c.block_height,
            )
            .where(shares.c.account == account)
            .order_by(shares.c.created_at.desc(), shares.c.share_id.desc())
            .limit(limit)
        )
        return [dict(row) for row in await self._rows(query)]

    async def funds(self, account: str) -> Funds:
        """Spendable balance (ledger sum), immature credits, and what was paid out."""
        balance = sa.select(sa.func.coalesce(sa.func.sum(ledger.c.amount), 0)).where(
            ledger.c.account == account
        )
        immature = sa.select(sa.func.coalesce(sa.func.sum(credits.c.amount), 0)).where(
            credits.c.account == account, credits.c.status == CreditStatus.IMMATURE.value
        )
        paid = (
            sa.select(sa.func.coalesce(sa.func.sum(payment_outputs.c.amount), 0))
            .join(payments, payments.c.id == payment_outputs.c.payment_id)
            .where(payment_outputs.c.account == account, payments.c.status.in_(PAID))
        )
        values = [int(await self._scalar(query)) for query in (balance, immature, paid)]
        return Funds(*values)

    async def account_payments(self, account: str, limit: int) -> list[dict[str, Any]]:
        query = (
            sa.select(
                payments.c.id,
                payments.c.status,
                payments.c.txid,
                payments.c.confirmations,
                payments.c.created_at,
                payments.c.sent_at,
                payment_outputs.c.address,
                payment_outputs.c.amount,
            )
            .join(payments, payments.c.id == payment_outputs.c.payment_id)
            .where(payment_outputs.c.account == account)
            .order_by(payments.c.created_at.desc(), payments.c.id)
            .limit(limit)
        )
        return [dict(row) for row in await self._rows(query)]

    async def account_known(self, account: str) -> bool:
        """Seen as a worker, credited or paid: anything the pool knows the account by."""
        for table in (workers, credits, payment_outputs):
            query = sa.select(sa.func.count()).where(table.c.account == account)
            if await self._scalar(query):
                return True
        return False

    async def blocks_page(self, limit: int, offset: int, status: str | None) -> Page:
        """Newest first, without the block bytes."""
        columns = [column for column in blocks.c if column.name != "block_data"]
        query = sa.select(*columns).order_by(blocks.c.height.desc(), blocks.c.id.desc())
        count = sa.select(sa.func.count()).select_from(blocks)
        if status is not None:
            query = query.where(blocks.c.status == status)
            count = count.where(blocks.c.status == status)
        rows = await self._rows(query.limit(limit).offset(offset))
        return Page([dict(row) for row in rows], int(await self._scalar(count)))

    async def block_counts(self) -> dict[str, int]:
        query = sa.select(blocks.c.status, sa.func.count().label("n")).group_by(blocks.c.status)
        return {row["status"]: int(row["n"]) for row in await self._rows(query)}

    async def payments_page(self, limit: int, offset: int) -> Page:
        outputs = (
            sa.select(sa.func.count())
            .where(payment_outputs.c.payment_id == payments.c.id)
            .scalar_subquery()
        )
        query = (
            sa.select(*[c for c in payments.c if c.name != "error"], outputs.label("outputs"))
            .order_by(payments.c.created_at.desc(), payments.c.id)
            .limit(limit)
            .offset(offset)
        )
        count = sa.select(sa.func.count()).select_from(payments)
        rows = await self._rows(query)
        return Page([dict(row) for row in rows], int(await self._scalar(count)))


def timestamp(value: datetime | None) -> float | None:
    """Aware datetime to Unix seconds (the API speaks seconds, like the stratum side)."""
    return None if value is None else value.timestamp()
