"""Upstream verdicts written with their batch: exactly once, atomically, on each backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from loka_stratum.storage import Database, ShareBatch, UpstreamWorkerStats, Verdict
from loka_stratum.storage import share_repository as share_repository_module
from loka_stratum.storage.verdicts import UpstreamDelta

from .factories import T0, share
from .verdict_factories import mixed_verdicts, verdict

EPOCH = datetime.fromtimestamp(0, UTC)


def totals(stats: list[UpstreamWorkerStats]) -> tuple[int, float, int, int, int]:
    return (
        sum(s.accepted_count for s in stats),
        sum(s.accepted_difficulty for s in stats),
        sum(s.rejected_count for s in stats),
        sum(s.stale_count for s in stats),
        sum(s.unanswered_count for s in stats),
    )


async def test_a_batch_written_twice_counts_its_verdicts_once(database: Database) -> None:
    verdicts = (
        verdict(difficulty=2.0),
        verdict(difficulty=3.0),
        verdict(Verdict.REJECTED),
        verdict(Verdict.STALE),
        verdict(Verdict.UNANSWERED),
    )
    written = ShareBatch("b1", (share(1), share(2, accepted=False)), verdicts)
    assert await database.shares.write_batch(written)
    assert not await database.shares.write_batch(written)
    [stats] = await database.stats.upstream_stats(EPOCH)
    assert (stats.upstream, stats.account, stats.worker) == ("main", "bc1qminer", "rig1")
    assert totals([stats]) == (2, 5.0, 2, 1, 1)
    assert stats.forwarded_count == 5
    [shares] = await database.stats.worker_stats(0)
    assert (shares.accepted_count, shares.rejected_count) == (1, 1)


async def test_verdicts_in_several_batches_add_up(database: Database) -> None:
    first, second = mixed_verdicts(0, 40), mixed_verdicts(40, 40, at=T0 + 7)
    await database.shares.write_batch(ShareBatch("b1", (share(1),), tuple(first)))
    await database.shares.write_batch(ShareBatch("b2", (), tuple(second)))
    await database.shares.write_batch(ShareBatch("b1", (share(1),), tuple(first)))
    everything = first + second
    expected = (
        sum(v.verdict is Verdict.ACCEPTED for v in everything),
        sum(v.difficulty for v in everything if v.verdict is Verdict.ACCEPTED),
        sum(v.verdict in (Verdict.REJECTED, Verdict.STALE) for v in everything),
        sum(v.verdict is Verdict.STALE for v in everything),
        sum(v.verdict is Verdict.UNANSWERED for v in everything),
    )
    stored = await database.stats.upstream_stats(EPOCH)
    assert totals(stored) == expected
    assert {(s.upstream, s.worker) for s in stored} == {
        (u, w) for u in ("backup", "main") for w in ("rig0", "rig1")
    }


async def test_a_batch_of_verdicts_alone_claims_its_id(database: Database) -> None:
    only_verdicts = ShareBatch("b1", (), (verdict(),))
    assert await database.shares.write_batch(only_verdicts)
    assert await database.shares.is_applied("b1")
    assert await database.shares.shares_since(0) == []
    assert await database.stats.worker_stats(0) == []
    assert await database.workers.list() == []
    assert [s.accepted_count for s in await database.stats.upstream_stats(EPOCH)] == [1]


async def test_a_failing_verdict_write_rolls_back_the_whole_batch(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shares, their tallies, the worker span and the batch id commit with the verdicts or
    not at all: a retry must find nothing half-applied to skip or to count twice."""
    real_row = share_repository_module._upstream_row

    def null_count(delta: UpstreamDelta) -> dict[str, object]:
        return {**real_row(delta), "accepted_count": None}

    written = ShareBatch("b1", (share(1), share(2, accepted=False)), (verdict(),))
    monkeypatch.setattr(share_repository_module, "_upstream_row", null_count)
    with pytest.raises(IntegrityError):
        await database.shares.write_batch(written)
    assert not await database.shares.is_applied("b1")
    assert await database.shares.shares_since(0) == []
    assert await database.stats.worker_stats(0) == []
    assert await database.workers.list() == []
    assert await database.stats.upstream_stats(EPOCH) == []

    monkeypatch.setattr(share_repository_module, "_upstream_row", real_row)
    assert await database.shares.write_batch(written)
    [stats] = await database.stats.upstream_stats(EPOCH)
    assert stats.accepted_count == 1
    assert [s.share_id for s in await database.shares.shares_since(0)] == [1]
