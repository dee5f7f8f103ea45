"""Writing share batches exactly once, and reading shares and per-worker statistics back.

``write_batch`` runs one transaction: claim the batch id in ``share_batches``
(``ON CONFLICT DO NOTHING``; no row claimed means the batch was applied before,
so nothing else is written), insert the accepted shares (``ON CONFLICT DO
NOTHING`` on ``share_id``), add the per-minute tallies to ``share_stats``,
widen each worker's seen span, and add the upstream verdicts' tallies to
``upstream_share_stats``. Verdicts have no row of their own to deduplicate by:
the claimed batch id is the only thing that keeps a replay from counting them
twice, which is why they ride in the same batch as shares. Claiming the id first also serialises two
concurrent replays of one batch on the id's unique index: the second waits for
the first to commit and then finds the id taken.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loka_stratum.storage.batches import ShareBatch
from loka_stratum.storage.engine import HealthProbe
from loka_stratum.storage.schema import share_batches, shares
from loka_stratum.storage.shares import ShareRecord, StatsDelta, aggregate, workers_seen
from loka_stratum.storage.upserts import (
    STATS_SUMS,
    UPSTREAM_SUMS,
    add_stats,
    add_upstream_stats,
    insert_for,
    see_workers,
    utc,
)
from loka_stratum.storage.verdicts import UpstreamDelta, fold_verdicts


class ShareRepository:
    """Accepted shares (for payouts) and the exactly-once batch bookkeeping."""

    def __init__(self, engine: AsyncEngine, probe: HealthProbe) -> None:
        self._engine = engine
        self._probe = probe

    async def write_batch(self, batch: ShareBatch) -> bool:
        """Apply ``batch`` once; False when it had already been applied (nothing written)."""
        async with self._engine.begin() as connection:
            if not await _claim(connection, batch):
                return False
            if batch.shares:
                await _write_shares(connection, batch)
            if batch.verdicts:
                deltas = fold_verdicts(batch.verdicts)
                rows = [_upstream_row(delta) for delta in deltas]
                await connection.execute(add_upstream_stats(connection), rows)
        return True

    async def shares_since(
        self, since: float, *, until: float | None = None, account: str | None = None
    ) -> list[ShareRecord]:
        """Accepted shares with ``since <= created_at < until``, oldest first."""
        query = sa.select(shares).where(shares.c.created_at >= utc(since))
        if until is not None:
            query = query.where(shares.c.created_at < utc(until))
        if account is not None:
            query = query.where(shares.c.account == account)
        query = query.order_by(shares.c.created_at, shares.c.share_id)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_share_record(row) for row in rows]

    async def is_applied(self, batch_id: str) -> bool:
        """Whether a batch with this id has been committed."""
        query = sa.select(share_batches.c.batch_id).where(share_batches.c.batch_id == batch_id)
        async with self._engine.connect() as connection:
            return (await connection.execute(query)).first() is not None

    async def health(self) -> bool:
        """The batcher's probe: is it worth attempting a write now?"""
        return await self._probe()


async def _claim(connection: AsyncConnection, batch: ShareBatch) -> bool:
    statement = (
        insert_for(connection, share_batches)
        .values(batch_id=batch.batch_id, share_count=len(batch.shares))
        .on_conflict_do_nothing(index_elements=["batch_id"])
    )
    return (await connection.execute(statement)).rowcount == 1


async def _write_shares(connection: AsyncConnection, batch: ShareBatch) -> None:
    accepted = batch.accepted
    if accepted:
        await _SHARE_WRITERS[connection.dialect.name](connection, accepted)
    deltas = aggregate(batch.shares)
    await connection.execute(add_stats(connection), [_stats_row(d) for d in deltas])
    seen = [
        {
            "account": w.account,
            "name": w.name,
            "first_seen": utc(w.first_seen),
            "last_seen": utc(w.last_seen),
        }
        for w in workers_seen(batch.shares)
    ]
    await connection.execute(see_workers(connection), seen)


async def _insert_executemany(connection: AsyncConnection, accepted: list[ShareRecord]) -> None:
    statement = insert_for(connection, shares).on_conflict_do_nothing(index_elements=["share_id"])
    await connection.execute(statement, [_share_dict(share) for share in accepted])


async def _insert_copy(connection: AsyncConnection, accepted: list[ShareRecord]) -> None:
    """COPY into a session-private staging table, then one INSERT ... SELECT.

    COPY cannot skip conflicting rows, hence the staging table. Measured on
    PostgreSQL 15 with 500-share batches, the insert step takes 3.9 ms this way
    against 7.8 ms for asyncpg ``executemany`` of the same upsert (4.4 ms for
    one ``INSERT ... SELECT FROM unnest(arrays)``). ``ON COMMIT DELETE ROWS``
    empties the table at commit and rollback, so nothing leaks between batches.
    """
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None:
        raise RuntimeError("the asyncpg connection was invalidated")
    await driver.execute(_STAGING_DDL)
    await driver.copy_records_to_table(
        "shares_staging", columns=_SHARE_COLUMNS, records=[_share_tuple(s) for s in accepted]
    )
    await driver.execute(_STAGING_INSERT)


_SHARE_COLUMNS = [column.name for column in shares.columns]
_STAGING_DDL = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS shares_staging (LIKE shares) ON COMMIT DELETE ROWS"
)
_STAGING_INSERT = (
    f"INSERT INTO shares ({', '.join(_SHARE_COLUMNS)})"
    f" SELECT {', '.join(_SHARE_COLUMNS)} FROM shares_staging"
    " ON CONFLICT (share_id) DO NOTHING"
)
_SHARE_WRITERS = {"postgresql": _insert_copy, "sqlite": _insert_executemany}


def _share_tuple(share: ShareRecord) -> tuple[object, ...]:
    return (
        share.share_id,
        share.account,
        share.worker,
        share.job_id,
        share.difficulty,
        share.share_difficulty,
        utc(share.created_at),
        share.block_height,
        share.is_block,
    )


def _share_dict(share: ShareRecord) -> dict[str, object]:
    return dict(zip(_SHARE_COLUMNS, _share_tuple(share), strict=True))


def _share_record(row: sa.RowMapping) -> ShareRecord:
    return ShareRecord(
        share_id=row["share_id"],
        account=row["account"],
        worker=row["worker"],
        job_id=row["job_id"],
        difficulty=row["difficulty"],
        share_difficulty=row["share_difficulty"],
        created_at=row["created_at"].timestamp(),
        accepted=True,
        reject_reason=None,
        is_block=row["is_block"],
        block_height=row["block_height"],
    )


def _stats_row(delta: StatsDelta) -> dict[str, object]:
    row: dict[str, object] = {name: getattr(delta, name) for name in STATS_SUMS}
    row.update(bucket_start=utc(delta.bucket_start), account=delta.account, worker=delta.worker)
    return row


def _upstream_row(delta: UpstreamDelta) -> dict[str, object]:
    row: dict[str, object] = {name: getattr(delta, name) for name in UPSTREAM_SUMS}
    row.update(
        bucket_start=utc(delta.bucket_start),
        upstream=delta.upstream,
        account=delta.account,
        worker=delta.worker,
    )
    return row
