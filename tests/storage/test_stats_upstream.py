"""Reading upstream verdict statistics back: windows, filters, sums (each backend)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from loka_stratum.storage import Database, ShareBatch, UpstreamWorkerStats, Verdict

from .factories import T0
from .verdict_factories import verdict

MINUTE = T0 - T0 % 60
START = datetime.fromtimestamp(MINUTE, UTC)


async def write(database: Database) -> None:
    """Two minutes of verdicts from two upstreams, two accounts, two workers."""
    verdicts = (
        verdict(at=MINUTE, difficulty=4.0),
        verdict(Verdict.STALE, at=MINUTE + 10),
        verdict(at=MINUTE + 61, difficulty=6.0),
        verdict(Verdict.UNANSWERED, at=MINUTE + 62),
        verdict(Verdict.REJECTED, upstream="backup", at=MINUTE + 5),
        verdict(worker="rig2", at=MINUTE + 70, difficulty=1.0),
        verdict(account="other", at=MINUTE + 1, difficulty=9.0),
    )
    await database.shares.write_batch(ShareBatch("b1", (), verdicts[:4]))
    await database.shares.write_batch(ShareBatch("b2", (), verdicts[4:]))


async def test_sums_per_upstream_account_and_worker(database: Database) -> None:
    await write(database)
    stats = await database.stats.upstream_stats(START)
    assert stats == [
        UpstreamWorkerStats("backup", "bc1qminer", "rig1", 0, 0.0, 1, 0, 0),
        UpstreamWorkerStats("main", "bc1qminer", "rig1", 2, 10.0, 1, 1, 1),
        UpstreamWorkerStats("main", "bc1qminer", "rig2", 1, 1.0, 0, 0, 0),
        UpstreamWorkerStats("main", "other", "rig1", 1, 9.0, 0, 0, 0),
    ]


async def test_window_is_whole_minutes(database: Database) -> None:
    await write(database)
    minute = timedelta(minutes=1)
    first = await database.stats.upstream_stats(START, until=START + minute, account="bc1qminer")
    assert [(s.upstream, s.worker, s.accepted_count, s.stale_count) for s in first] == [
        ("backup", "rig1", 0, 0),
        ("main", "rig1", 1, 1),
    ]
    # A window starting inside a minute leaves that minute's bucket out.
    second = await database.stats.upstream_stats(START + timedelta(seconds=1))
    assert [(s.worker, s.accepted_count, s.unanswered_count) for s in second] == [
        ("rig1", 1, 1),
        ("rig2", 1, 0),
    ]
    assert await database.stats.upstream_stats(START + 2 * minute) == []


async def test_filters_by_upstream_and_account(database: Database) -> None:
    await write(database)
    backup = await database.stats.upstream_stats(START, upstream="backup")
    assert [(s.upstream, s.rejected_count) for s in backup] == [("backup", 1)]
    other = await database.stats.upstream_stats(START, upstream="main", account="other")
    assert [(s.account, s.accepted_difficulty) for s in other] == [("other", 9.0)]
    assert await database.stats.upstream_stats(START, upstream="nowhere") == []


async def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        await database.stats.upstream_stats(START.replace(tzinfo=None))
