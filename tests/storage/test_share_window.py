"""Share queries for payouts on each backend: block share lookup, PPLNS walk, PROP round."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from loka_stratum.storage import Database, ShareBatch, ShareRecord
from loka_stratum.storage.share_window import ShareWindowRepository, WindowShare

T0 = 1_700_000_000.0


def record(
    share_id: int,
    account: str = "a",
    difficulty: float = 1.0,
    *,
    at: float = T0,
    block_height: int | None = None,
    worker: str = "rig",
) -> ShareRecord:
    return ShareRecord(
        share_id=share_id,
        account=account,
        worker=worker,
        job_id="j",
        difficulty=difficulty,
        share_difficulty=difficulty,
        created_at=at + share_id,
        accepted=True,
        reject_reason=None,
        is_block=block_height is not None,
        block_height=block_height,
    )


async def store(database: Database, *shares: ShareRecord) -> None:
    assert await database.shares.write_batch(ShareBatch(f"b{shares[0].share_id}", shares))


async def collect_newest(repo: ShareWindowRepository, anchor: int, bound: float) -> list[int]:
    return [s.share_id async for page in repo.newest_first(anchor, bound) for s in page]


async def collect_round(repo: ShareWindowRepository, anchor: int) -> list[WindowShare]:
    return [s async for page in repo.round_shares(anchor) for s in page]


async def test_newest_first_pages_back_until_the_bound(database: Database) -> None:
    await store(database, *(record(i, difficulty=2.0) for i in range(1, 21)))
    repo = ShareWindowRepository(database.engine, page_size=3)
    assert await collect_newest(repo, 15, 7.0) == [15, 14, 13, 12, 11, 10]
    assert await collect_newest(repo, 15, 6.0) == [15, 14, 13]
    assert await collect_newest(repo, 4, 100.0) == [4, 3, 2, 1]
    assert await collect_newest(repo, 0, 100.0) == []


async def test_block_share_is_found_by_height_worker_and_time(database: Database) -> None:
    await store(
        database,
        record(1, block_height=10, worker="rig"),
        record(2, block_height=11, worker="rig"),
        record(3, block_height=11, worker="other"),
        record(5, block_height=11, worker="rig"),
    )
    repo = ShareWindowRepository(database.engine)

    async def lookup(height: int, worker: str, after: float) -> int | None:
        found_at = datetime.fromtimestamp(T0 + after, UTC)
        return await repo.block_share(height=height, account="a", worker=worker, found_at=found_at)

    assert await lookup(10, "rig", 1.5) == 1
    assert await lookup(11, "rig", 2.5) == 2
    assert await lookup(11, "rig", 9.0) == 5  # a later block at the same height: the later share
    assert await lookup(11, "other", 3.0) == 3
    assert await lookup(12, "rig", 9.0) is None
    assert await lookup(10, "rig", 0.5) is None  # not stored yet as far as this block knows
    late = timedelta(hours=2).total_seconds()
    assert await lookup(10, "rig", late) is None


async def test_round_runs_from_the_previous_block_share(database: Database) -> None:
    await store(
        database,
        record(1, "a"),
        record(2, "b", block_height=5),
        record(3, "a", 3.0),
        record(4, "c"),
        record(5, "b", 2.0, block_height=6),
        record(6, "a"),
    )
    repo = ShareWindowRepository(database.engine, page_size=2)
    assert await repo.previous_block_share(5) == 2
    assert await repo.previous_block_share(2) is None
    assert await collect_round(repo, 5) == [
        WindowShare(3, "a", 3.0),
        WindowShare(4, "c", 1.0),
        WindowShare(5, "b", 2.0),
    ]
    assert [s.share_id for s in await collect_round(repo, 2)] == [1, 2]
