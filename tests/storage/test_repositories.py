"""Repositories against a real database on each backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from loka_stratum.storage import BlockStatus, Database, NewBlock, NewPool, PoolKind, PoolSettings
from loka_stratum.storage.pgserver import free_port

from .factories import T0, batch, share

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


async def test_pools_crud(database: Database) -> None:
    pools = database.pools
    backup_id = await pools.add(NewPool("backup", "stratum+tcp://b:3333", "me", priority=2), NOW)
    await pools.add(NewPool("main", "stratum+tcp://a:3333", "me", "x", priority=1), NOW)
    await pools.add(NewPool("self", "stratum+tcp://0.0.0.0:3333", "-", kind=PoolKind.LOCAL), NOW)
    assert [p.name for p in await pools.list()] == ["self", "main", "backup"]
    backup = await pools.get("backup")
    assert backup is not None
    assert (backup.id, backup.password, backup.enabled, backup.created_at) == (
        backup_id,
        None,
        True,
        NOW,
    )
    later = NOW + timedelta(minutes=5)
    assert await pools.set_enabled("main", False, later)
    assert [p.name for p in await pools.list(enabled_only=True)] == ["self", "backup"]
    main = await pools.get("main")
    assert main is not None
    assert (main.enabled, main.updated_at, main.kind) == (False, later, PoolKind.UPSTREAM)
    assert await pools.remove("backup")
    assert not await pools.remove("backup")
    assert not await pools.set_enabled("backup", True, later)
    assert await pools.get("backup") is None


async def test_pool_names_are_unique(database: Database) -> None:
    await database.pools.add(NewPool("main", "stratum+tcp://a:3333", "me"), NOW)
    with pytest.raises(IntegrityError):
        await database.pools.add(NewPool("main", "stratum+tcp://b:3333", "me"), NOW)


async def test_worker_seen_span_only_widens(database: Database) -> None:
    workers = database.workers
    await workers.upsert_seen("acct", "rig1", NOW)
    await workers.upsert_seen("acct", "rig1", NOW + timedelta(hours=1))
    await workers.upsert_seen("acct", "rig1", NOW - timedelta(hours=1))
    await workers.upsert_seen("acct", "rig1", NOW + timedelta(minutes=1))
    await workers.upsert_seen("acct", "rig0", NOW)
    await workers.upsert_seen("other", "rig1", NOW)
    rig1 = await workers.get("acct", "rig1")
    assert rig1 is not None
    assert (rig1.first_seen, rig1.last_seen) == (NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert [w.name for w in await workers.list("acct")] == ["rig0", "rig1"]
    assert len(await workers.list()) == 3
    assert await workers.get("acct", "rig9") is None


async def test_timestamps_come_back_as_utc(database: Database) -> None:
    tokyo = timezone(timedelta(hours=9))
    await database.workers.upsert_seen("acct", "rig1", NOW.astimezone(tokyo))
    worker = await database.workers.get("acct", "rig1")
    assert worker is not None
    assert worker.first_seen == NOW
    assert worker.first_seen.utcoffset() == timedelta(0)


async def test_naive_timestamps_are_refused(database: Database) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        await database.workers.upsert_seen("acct", "rig1", NOW.replace(tzinfo=None))


def _block(height: int, tag: int, status: BlockStatus = BlockStatus.PENDING) -> NewBlock:
    return NewBlock(
        height=height,
        hash=bytes([tag]) + bytes(30) + b"\xff",
        prev_hash=bytes(32),
        finder_account="acct",
        finder_worker="rig1",
        reward=312_500_000 + tag,
        submit_result=None if tag % 2 else "inconclusive",
        block_data=bytes(range(256)) * 4 if tag == 1 else None,
        status=status,
    )


async def test_blocks_add_get_update_list(database: Database) -> None:
    blocks = database.blocks
    first = _block(840_000, 1)
    await blocks.add(first, NOW)
    await blocks.add(_block(840_001, 2), NOW)
    await blocks.add(_block(839_999, 3, BlockStatus.REJECTED), NOW)
    stored = await blocks.get_by_hash(first.hash)
    assert stored is not None
    assert (stored.hash, stored.block_data, stored.reward, stored.status) == (
        first.hash,
        first.block_data,
        first.reward,
        BlockStatus.PENDING,
    )
    assert await blocks.update_status(first.hash, BlockStatus.CONFIRMED, 101, NOW + timedelta(1))
    assert not await blocks.update_status(bytes(32), BlockStatus.ORPHANED, 0, NOW)
    assert [b.height for b in await blocks.list()] == [840_001, 840_000, 839_999]
    confirmed = await blocks.list(status=BlockStatus.CONFIRMED)
    assert [(b.height, b.confirmations, b.updated_at) for b in confirmed] == [
        (840_000, 101, NOW + timedelta(1))
    ]
    assert [b.height for b in await blocks.list(limit=1, offset=1)] == [840_000]


async def test_block_hash_is_stored_in_display_order(database: Database) -> None:
    block = _block(1, 7)
    await database.blocks.add(block, NOW)
    async with database.engine.connect() as connection:
        text = (await connection.execute(sa.text("SELECT hash FROM blocks"))).scalar()
    assert text == "ff" + "00" * 30 + "07"
    with pytest.raises(IntegrityError):
        await database.blocks.add(block, NOW)


async def test_write_batch_is_applied_once(database: Database) -> None:
    shares = [share(1), share(2, accepted=False), share(3, worker="rig2", at=T0 + 61)]
    assert await database.shares.write_batch(batch("b1", shares))
    assert not await database.shares.write_batch(batch("b1", shares))
    assert await database.shares.is_applied("b1")
    assert not await database.shares.is_applied("b2")
    stored = await database.shares.shares_since(T0)
    assert [s.share_id for s in stored] == [1, 3]
    assert stored[0] == shares[0]
    totals = {
        (s.worker, s.accepted_count, s.rejected_count) for s in await database.stats.worker_stats(0)
    }
    assert totals == {("rig1", 1, 1), ("rig2", 1, 0)}


async def test_share_redelivered_in_another_batch_is_stored_once(database: Database) -> None:
    await database.shares.write_batch(batch("b1", [share(1), share(2)]))
    await database.shares.write_batch(batch("b2", [share(2), share(3)]))
    assert [s.share_id for s in await database.shares.shares_since(0)] == [1, 2, 3]


async def test_write_batch_updates_workers_seen(database: Database) -> None:
    await database.shares.write_batch(batch("b1", [share(1, at=T0 + 5), share(2, at=T0)]))
    worker = await database.workers.get("bc1qminer", "rig1")
    assert worker is not None
    assert (worker.first_seen.timestamp(), worker.last_seen.timestamp()) == (T0, T0 + 5)


async def test_shares_since_filters_window_and_account(database: Database) -> None:
    shares = [share(i, at=T0 + i * 10, account=f"acct{i % 2}") for i in range(1, 7)]
    await database.shares.write_batch(batch("b1", shares))
    window = await database.shares.shares_since(T0 + 20, until=T0 + 50)
    assert [s.share_id for s in window] == [2, 3, 4]
    odd = await database.shares.shares_since(T0, account="acct1")
    assert [s.share_id for s in odd] == [1, 3, 5]


async def test_worker_stats_sum_batches_per_minute(database: Database) -> None:
    minute = T0 - T0 % 60
    first = [share(1, at=minute), share(2, at=minute + 59, accepted=False, reason="stale")]
    second = [
        share(3, at=minute + 30, difficulty=2.0),
        share(4, at=minute + 60, accepted=False, reason="duplicate"),
        share(5, at=minute + 61, accepted=False, reason="low-difficulty"),
        share(6, at=minute + 62, accepted=False, reason="bad-nonce"),
    ]
    await database.shares.write_batch(batch("b1", first))
    await database.shares.write_batch(batch("b2", second))
    [stats] = await database.stats.worker_stats(minute)
    assert (stats.accepted_count, stats.accepted_difficulty, stats.rejected_count) == (2, 10.0, 4)
    assert (
        stats.stale_count,
        stats.duplicate_count,
        stats.low_difficulty_count,
        stats.other_rejected_count,
    ) == (1, 1, 1, 1)
    assert stats.hashrate(600) == pytest.approx(10 * 2**32 / 600)
    series = await database.stats.series("bc1qminer", "rig1", minute)
    assert [(d.bucket_start - minute, d.accepted_count, d.rejected_count) for d in series] == [
        (0, 2, 1),
        (60, 0, 3),
    ]
    assert await database.stats.worker_stats(minute + 60, until=minute + 120, account="x") == []
    [later] = await database.stats.worker_stats(minute + 60, until=minute + 120)
    assert (later.accepted_count, later.rejected_count) == (0, 3)


async def test_health_reports_up(database: Database) -> None:
    assert await database.health()
    assert await database.shares.health()


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database that cannot be opened: a path under a regular file, a closed port."""
    if request.param == "sqlite":
        blocker = tmp_path / "file"
        blocker.write_text("not a directory")
        return f"sqlite:///{blocker / 'loka.sqlite3'}"
    return f"postgresql://postgres@127.0.0.1:{free_port()}/loka"


async def test_health_reports_down(unreachable_url: str) -> None:
    async with Database(unreachable_url) as db:
        assert not await db.health()
        assert not await db.shares.health()


async def test_health_gives_up_on_a_silent_server() -> None:
    """A server that accepts connections but never answers is down, not a hang."""
    connections: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"postgresql://postgres@127.0.0.1:{port}/loka"
    async with server:
        async with Database(url, PoolSettings(health_timeout=0.2)) as db:
            assert not await db.health()
        assert connections
        for writer in connections:
            writer.close()
            await writer.wait_closed()
