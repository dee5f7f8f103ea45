"""Per-worker share statistics read from the per-minute ``share_stats`` rows, and
per-upstream verdict statistics (proxy mode) from ``upstream_share_stats``.

Windows are whole minutes: a row belongs to a window when its bucket starts
inside it, so callers asking for "the last 10 minutes" get the ten buckets
starting in that range, including the current, partly filled one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from loka_stratum.storage.schema import share_stats, upstream_share_stats
from loka_stratum.storage.shares import StatsDelta
from loka_stratum.storage.upserts import STATS_SUMS, UPSTREAM_SUMS, utc

HASHES_PER_DIFFICULTY_1 = 2**32


@dataclass(frozen=True, slots=True)
class WorkerStats:
    """One worker's totals over a window."""

    account: str
    worker: str
    accepted_count: int
    accepted_difficulty: float
    rejected_count: int
    stale_count: int
    duplicate_count: int
    low_difficulty_count: int
    other_rejected_count: int

    def hashrate(self, window_seconds: float) -> float:
        """Average hashes per second implied by the accepted difficulty over the window."""
        return self.accepted_difficulty * HASHES_PER_DIFFICULTY_1 / window_seconds


@dataclass(frozen=True, slots=True)
class UpstreamWorkerStats:
    """One worker's verdicts from one upstream over a window.

    ``rejected_count`` includes ``stale_count``; ``unanswered_count`` (timeouts,
    lost connections) is neither accepted nor rejected, so the shares forwarded
    are ``accepted_count + rejected_count + unanswered_count``.
    """

    upstream: str
    account: str
    worker: str
    accepted_count: int
    accepted_difficulty: float
    rejected_count: int
    stale_count: int
    unanswered_count: int

    @property
    def forwarded_count(self) -> int:
        """Shares sent to the upstream in the window, whatever became of them."""
        return self.accepted_count + self.rejected_count + self.unanswered_count


class StatsRepository:
    """Reads of ``share_stats``; the writes happen inside ``ShareRepository.write_batch``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def worker_stats(
        self, since: float, *, until: float | None = None, account: str | None = None
    ) -> list[WorkerStats]:
        """Totals per (account, worker) for buckets starting in [since, until)."""
        sums = [sa.func.sum(share_stats.c[name]).label(name) for name in STATS_SUMS]
        query = sa.select(share_stats.c.account, share_stats.c.worker, *sums)
        query = _window(query, since, until, account)
        query = query.group_by(share_stats.c.account, share_stats.c.worker)
        query = query.order_by(share_stats.c.account, share_stats.c.worker)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            WorkerStats(
                account=row["account"],
                worker=row["worker"],
                accepted_difficulty=float(row["accepted_difficulty"]),
                **{name: int(row[name]) for name in STATS_SUMS if name.endswith("_count")},
            )
            for row in rows
        ]

    async def upstream_stats(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        upstream: str | None = None,
        account: str | None = None,
    ) -> list[UpstreamWorkerStats]:
        """Totals per (upstream, account, worker) for buckets starting in [since, until)."""
        table = upstream_share_stats
        keys = (table.c.upstream, table.c.account, table.c.worker)
        sums = [sa.func.sum(table.c[name]).label(name) for name in UPSTREAM_SUMS]
        query = sa.select(*keys, *sums).where(table.c.bucket_start >= since)
        if until is not None:
            query = query.where(table.c.bucket_start < until)
        if upstream is not None:
            query = query.where(table.c.upstream == upstream)
        if account is not None:
            query = query.where(table.c.account == account)
        query = query.group_by(*keys).order_by(*keys)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            UpstreamWorkerStats(
                upstream=row["upstream"],
                account=row["account"],
                worker=row["worker"],
                accepted_difficulty=float(row["accepted_difficulty"]),
                **{name: int(row[name]) for name in UPSTREAM_SUMS if name.endswith("_count")},
            )
            for row in rows
        ]

    async def series(
        self, account: str, worker: str, since: float, *, until: float | None = None
    ) -> list[StatsDelta]:
        """One worker's per-minute rows, oldest first (for hashrate graphs)."""
        query = sa.select(share_stats).where(share_stats.c.worker == worker)
        query = _window(query, since, until, account).order_by(share_stats.c.bucket_start)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            StatsDelta(
                bucket_start=int(row["bucket_start"].timestamp()),
                account=row["account"],
                worker=row["worker"],
                **{name: row[name] for name in STATS_SUMS},
            )
            for row in rows
        ]


def _window(
    query: sa.Select[tuple[object, ...]], since: float, until: float | None, account: str | None
) -> sa.Select[tuple[object, ...]]:
    query = query.where(share_stats.c.bucket_start >= utc(since))
    if until is not None:
        query = query.where(share_stats.c.bucket_start < utc(until))
    if account is not None:
        query = query.where(share_stats.c.account == account)
    return query
