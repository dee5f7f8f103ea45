"""Helpers for the batcher tests: expected against stored totals, waiting, a batcher."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from loka_stratum.storage import (
    BatcherStats,
    Database,
    ShareBatcher,
    ShareRecord,
    ShareStore,
    Verdict,
    VerdictRecord,
)

DEADLINE = 20.0


@dataclass(frozen=True)
class Totals:
    """What the records say should be stored, or what the database holds.

    ``upstream`` is (accepted, rejected incl. stale, stale, unanswered) verdicts.
    """

    share_ids: frozenset[int]
    accepted: int
    rejected: int
    difficulty: float
    upstream: tuple[int, int, int, int] = (0, 0, 0, 0)
    upstream_difficulty: float = 0.0

    @classmethod
    def of(cls, shares: list[ShareRecord], verdicts: Sequence[VerdictRecord] = ()) -> Totals:
        accepted = [s for s in shares if s.accepted]
        kinds = [v.verdict for v in verdicts]
        return cls(
            frozenset(s.share_id for s in accepted),
            len(accepted),
            len(shares) - len(accepted),
            sum(s.difficulty for s in accepted),
            (
                kinds.count(Verdict.ACCEPTED),
                kinds.count(Verdict.REJECTED) + kinds.count(Verdict.STALE),
                kinds.count(Verdict.STALE),
                kinds.count(Verdict.UNANSWERED),
            ),
            sum(v.difficulty for v in verdicts if v.verdict is Verdict.ACCEPTED),
        )


_SHARE_SUMS = sa.text(
    "SELECT COALESCE(SUM(accepted_count), 0), COALESCE(SUM(rejected_count), 0),"
    " COALESCE(SUM(accepted_difficulty), 0) FROM share_stats"
)
_UPSTREAM_SUMS = sa.text(
    "SELECT COALESCE(SUM(accepted_count), 0), COALESCE(SUM(rejected_count), 0),"
    " COALESCE(SUM(stale_count), 0), COALESCE(SUM(unanswered_count), 0),"
    " COALESCE(SUM(accepted_difficulty), 0) FROM upstream_share_stats"
)


async def stored_totals(database: Database) -> tuple[Totals, int]:
    """The database's totals, and the number of share rows (to catch duplicates)."""
    async with database.engine.connect() as connection:
        ids = (await connection.execute(sa.text("SELECT share_id FROM shares"))).scalars().all()
        sums = (await connection.execute(_SHARE_SUMS)).one()
        upstream = (await connection.execute(_UPSTREAM_SUMS)).one()
    counts = (int(upstream[0]), int(upstream[1]), int(upstream[2]), int(upstream[3]))
    totals = Totals(
        frozenset(ids), int(sums[0]), int(sums[1]), float(sums[2]), counts, float(upstream[4])
    )
    return totals, len(ids)


async def settle(batcher: ShareBatcher, predicate: Callable[[BatcherStats], bool]) -> None:
    async with asyncio.timeout(DEADLINE):
        await batcher.wait_for(predicate)


def drained(stats: BatcherStats) -> bool:
    """Nothing waits in memory or in the journal."""
    return stats.journal_depth == stats.pending_shares == stats.pending_verdicts == 0


def make_batcher(
    store: ShareStore, tmp_path: Path, *, batch_size: int = 10, flush_interval: float = 3600.0
) -> ShareBatcher:
    """A batcher that flushes on size only, unless told otherwise, and probes every 50 ms."""
    return ShareBatcher(
        store,
        tmp_path / "journal",
        batch_size=batch_size,
        flush_interval=flush_interval,
        retry_interval=0.05,
    )


def interleave(
    shares: list[ShareRecord], verdicts: list[VerdictRecord]
) -> list[ShareRecord | VerdictRecord]:
    """Shares with the verdicts spread evenly among them (as a proxy produces them)."""
    if not verdicts:
        return list(shares)
    every = -(-len(shares) // len(verdicts))
    records: list[ShareRecord | VerdictRecord] = []
    for index, verdict in enumerate(verdicts):
        records.extend(shares[index * every : (index + 1) * every])
        records.append(verdict)
    records.extend(shares[len(verdicts) * every :])
    return records


def feed(batcher: ShareBatcher, records: Iterable[ShareRecord | VerdictRecord]) -> None:
    """Record each share and verdict in order."""
    for record in records:
        if isinstance(record, VerdictRecord):
            batcher.record_verdict(record)
        else:
            batcher.record(record)
