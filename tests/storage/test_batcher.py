"""The share batcher on each backend: size and time flushes, journal, outages."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from loka_stratum.storage import Backend, Database, ShareBatcher, ShareRecord, VerdictRecord

from .batching import Totals, drained, feed, interleave, make_batcher, settle, stored_totals
from .factories import mixed_shares, share
from .stores import EngineFailure, LostAcknowledgement, Recording, ServerKill, Switchable
from .verdict_factories import mixed_verdicts


async def test_flushes_full_batches_by_size(database: Database, tmp_path: Path) -> None:
    batcher = make_batcher(database.shares, tmp_path)
    await batcher.start()
    shares = mixed_shares(1, 25)
    for s in shares:
        batcher.record(s)
    await settle(batcher, lambda s: s.shares_committed == 20)
    assert (batcher.stats().flushes, batcher.stats().pending_shares) == (2, 5)
    await batcher.stop()
    assert batcher.stats().flushes == 3
    assert (await stored_totals(database))[0] == Totals.of(shares)


async def test_flushes_a_partial_batch_after_the_interval(
    database: Database, tmp_path: Path
) -> None:
    batcher = make_batcher(database.shares, tmp_path, batch_size=1000, flush_interval=0.05)
    await batcher.start()
    shares = mixed_shares(1, 3)
    for s in shares:
        batcher.record(s)
    await settle(batcher, lambda s: s.shares_committed == 3)
    assert batcher.stats().flushes == 1
    assert (await stored_totals(database))[0] == Totals.of(shares)
    await batcher.stop()


async def test_stop_persists_everything_recorded(database: Database, tmp_path: Path) -> None:
    batcher = make_batcher(database.shares, tmp_path, batch_size=1000)
    await batcher.start()
    shares = mixed_shares(1, 7)
    for s in shares:
        batcher.record(s)
    await batcher.stop()
    assert batcher.stats().pending_shares == 0
    assert (await stored_totals(database))[0] == Totals.of(shares)
    with pytest.raises(RuntimeError, match="stopping"):
        batcher.record(share(99))


async def test_flush_latency_is_measured_on_the_injected_clock(
    database: Database, tmp_path: Path
) -> None:
    now = [100.0]
    flushes: list[tuple[float, int]] = []

    class SlowStore(Recording):
        async def write_batch(self, batch: object) -> bool:
            now[0] += 0.25
            return await super().write_batch(batch)  # type: ignore[arg-type]

    batcher = ShareBatcher(
        SlowStore(database.shares),
        tmp_path / "journal",
        batch_size=4,
        clock=lambda: now[0],
        on_flush=lambda seconds, count: flushes.append((seconds, count)),
    )
    await batcher.start()
    for s in mixed_shares(1, 4):
        batcher.record(s)
    await settle(batcher, lambda s: s.flushes == 1)
    await batcher.stop()
    assert batcher.stats().last_flush_seconds == 0.25
    assert flushes == [(0.25, 4)]


async def test_journal_from_a_previous_run_is_replayed_first_in_order(
    database: Database, tmp_path: Path
) -> None:
    offline = Switchable(database.shares, down=True)
    first_run = make_batcher(offline, tmp_path, batch_size=5)
    await first_run.start()
    early, early_verdicts = mixed_shares(1, 17), mixed_verdicts(0, 3)
    feed(first_run, interleave(early, early_verdicts))
    await first_run.stop()
    assert (first_run.stats().journal_depth, first_run.stats().journaled) == (4, 4)
    journaled = sorted((tmp_path / "journal").iterdir())

    recording = Recording(database.shares)
    second_run = make_batcher(recording, tmp_path, batch_size=5)
    await second_run.start()
    assert second_run.stats().replayed == 4
    late, late_verdicts = mixed_shares(100, 5), mixed_verdicts(3, 2)
    feed(second_run, interleave(late, late_verdicts))
    await second_run.stop()

    first_ids = recording.committed[:4]
    assert [batch_id.rsplit(":", 1)[1] for batch_id in first_ids] == ["1", "2", "3", "4"]
    assert len({batch_id.split(":")[0] for batch_id in recording.committed}) == 2
    assert not any(path.exists() for path in journaled)
    expected = Totals.of(early + late, early_verdicts + late_verdicts)
    assert (await stored_totals(database))[0] == expected


async def test_lost_commit_acknowledgement_counts_once(database: Database, tmp_path: Path) -> None:
    store = LostAcknowledgement(database.shares, failures_left=2)
    batcher = make_batcher(store, tmp_path, batch_size=10)
    await batcher.start()
    shares, verdicts = mixed_shares(1, 40), mixed_verdicts(0, 10)
    feed(batcher, interleave(shares, verdicts))
    await settle(batcher, lambda s: s.failures == 2 and drained(s))
    await batcher.stop()
    stats = batcher.stats()
    # Batch 1 (shares and verdicts) committed unacknowledged, failed once more on
    # replay, then was skipped.
    assert (stats.flushes, stats.skipped, stats.replayed) == (4, 1, 5)
    assert (stats.shares_committed, stats.verdicts_committed) == (32, 8)
    totals, rows = await stored_totals(database)
    assert (totals, rows) == (Totals.of(shares, verdicts), len(Totals.of(shares).share_ids))


async def test_batches_stay_in_memory_while_the_journal_disk_fails(
    database: Database, tmp_path: Path
) -> None:
    offline = Switchable(database.shares, down=True)
    batcher = make_batcher(offline, tmp_path, batch_size=5)
    await batcher.start()
    journal_dir = tmp_path / "journal"
    journal_dir.rmdir()
    journal_dir.write_bytes(b"not a directory")
    shares = mixed_shares(1, 10)
    with capture_logs() as logs:
        for s in shares:
            batcher.record(s)
        await settle(batcher, lambda s: s.failures >= 1)
    assert batcher.stats().pending_shares == 10
    assert "share journal write failed; batch kept in memory" in {e["event"] for e in logs}
    journal_dir.unlink()
    journal_dir.mkdir()
    offline.down = False
    await settle(batcher, lambda s: s.shares_committed == 10)
    await batcher.stop()
    assert (await stored_totals(database))[0] == Totals.of(shares)


@pytest.fixture
def outage(database: Database, request: pytest.FixtureRequest) -> ServerKill | EngineFailure:
    if database.backend is Backend.POSTGRESQL:
        return ServerKill(request.getfixturevalue("postgres_server"))
    return EngineFailure()


async def test_database_outage_loses_no_share_and_counts_none_twice(
    database: Database, outage: ServerKill | EngineFailure, tmp_path: Path
) -> None:
    """Shares and upstream verdicts keep coming while the database dies and returns;
    each lands exactly once."""
    batcher = make_batcher(
        outage.wrap(database.shares), tmp_path, batch_size=40, flush_interval=0.02
    )
    await batcher.start()
    produced: list[ShareRecord] = []
    verdicts: list[VerdictRecord] = []
    producing = asyncio.Event()
    producing.set()

    async def produce() -> None:
        """Twenty shares and five verdicts at a time, as fast as the batcher absorbs them
        (an event, no timer)."""
        while producing.is_set():
            burst = mixed_shares(len(produced) + 1, 20)
            burst_verdicts = mixed_verdicts(len(verdicts), 5)
            feed(batcher, interleave(burst, burst_verdicts))
            produced.extend(burst)
            verdicts.extend(burst_verdicts)
            await asyncio.sleep(0)
            await batcher.wait_for(lambda s: s.pending_shares + s.pending_verdicts < 125)

    producer = asyncio.create_task(produce())
    with capture_logs() as logs:
        await settle(batcher, lambda s: s.flushes >= 3)
        await asyncio.to_thread(outage.begin)
        await settle(batcher, lambda s: s.journaled >= 3 and not s.database_up)
        await asyncio.to_thread(outage.end)
        await settle(batcher, lambda s: s.replayed >= 3 and s.journal_depth == 0)
        producing.clear()
        await producer
        await batcher.stop()
    events = [entry["event"] for entry in logs]
    assert events.index("share storage unavailable; journaling batches") < events.index(
        "share storage available again"
    )

    stats = batcher.stats()
    assert stats.failures >= 1
    assert (stats.pending_shares, stats.pending_verdicts, stats.journal_depth) == (0, 0, 0)
    totals, rows = await stored_totals(database)
    expected = Totals.of(produced, verdicts)
    assert rows == len(expected.share_ids)
    assert totals.share_ids == expected.share_ids
    assert (totals.accepted, totals.rejected) == (expected.accepted, expected.rejected)
    assert totals.difficulty == pytest.approx(expected.difficulty)
    assert totals.upstream == expected.upstream
    assert totals.upstream_difficulty == pytest.approx(expected.upstream_difficulty)


def test_settings_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        ShareBatcher(Switchable(None), tmp_path, batch_size=0)  # type: ignore[arg-type]
