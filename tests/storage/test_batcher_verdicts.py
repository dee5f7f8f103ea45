"""Upstream verdicts through the share batcher: one queue, one batch size, one journal."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from loka_stratum.storage import Database, ShareBatcher

from .batching import Totals, drained, feed, interleave, make_batcher, settle, stored_totals
from .factories import mixed_shares
from .stores import Recording, Switchable
from .verdict_factories import mixed_verdicts, verdict


async def test_verdicts_count_toward_the_batch_size(database: Database, tmp_path: Path) -> None:
    recording = Recording(database.shares)
    batcher = make_batcher(recording, tmp_path, batch_size=10)
    await batcher.start()
    shares, verdicts = mixed_shares(1, 6), mixed_verdicts(0, 4)
    feed(batcher, interleave(shares, verdicts))
    await settle(batcher, lambda s: s.flushes == 1)
    stats = batcher.stats()
    assert (stats.shares_committed, stats.verdicts_committed) == (6, 4)
    assert (await stored_totals(database))[0] == Totals.of(shares, verdicts)
    await batcher.stop()
    assert len(recording.committed) == 1


async def test_verdicts_alone_flush_after_the_interval(database: Database, tmp_path: Path) -> None:
    batcher = make_batcher(database.shares, tmp_path, batch_size=1000, flush_interval=0.05)
    await batcher.start()
    verdicts = mixed_verdicts(0, 3)
    feed(batcher, verdicts)
    await settle(batcher, lambda s: s.verdicts_committed == 3)
    assert (batcher.stats().flushes, batcher.stats().shares_committed) == (1, 0)
    assert (await stored_totals(database))[0] == Totals.of([], verdicts)
    await batcher.stop()


async def test_batches_are_cut_in_arrival_order(database: Database, tmp_path: Path) -> None:
    """A verdict recorded before a run of shares goes out with the first batch, not after
    the shares that came later."""
    batcher = make_batcher(database.shares, tmp_path, batch_size=4)
    await batcher.start()
    feed(batcher, [verdict(), *mixed_shares(1, 4)])
    await settle(batcher, lambda s: s.flushes == 1)
    stats = batcher.stats()
    assert (stats.verdicts_committed, stats.shares_committed) == (1, 3)
    assert (stats.pending_verdicts, stats.pending_shares) == (0, 1)
    await batcher.stop()


async def test_pending_verdicts_are_counted_apart_from_shares(
    database: Database, tmp_path: Path
) -> None:
    offline = Switchable(database.shares, down=True)
    batcher = make_batcher(offline, tmp_path, batch_size=5)
    await batcher.start()
    journal_dir = tmp_path / "journal"
    journal_dir.rmdir()
    journal_dir.write_bytes(b"not a directory")
    shares, verdicts = mixed_shares(1, 4), mixed_verdicts(0, 6)
    with capture_logs():
        feed(batcher, interleave(shares, verdicts))
        await settle(batcher, lambda s: s.failures >= 1)
    assert (batcher.stats().pending_shares, batcher.stats().pending_verdicts) == (4, 6)
    journal_dir.unlink()
    journal_dir.mkdir()
    offline.down = False
    await settle(batcher, lambda s: s.verdicts_committed == 6 and drained(s))
    await batcher.stop()
    assert (await stored_totals(database))[0] == Totals.of(shares, verdicts)


async def test_journaled_verdicts_are_replayed(database: Database, tmp_path: Path) -> None:
    offline = Switchable(database.shares, down=True)
    batcher = make_batcher(offline, tmp_path, batch_size=5)
    await batcher.start()
    shares, verdicts = mixed_shares(1, 12), mixed_verdicts(0, 8)
    feed(batcher, interleave(shares, verdicts))
    await settle(batcher, lambda s: s.journaled == 4)
    assert (await stored_totals(database))[0] == Totals.of([])
    offline.down = False
    await settle(batcher, lambda s: s.replayed == 4 and drained(s))
    await batcher.stop()
    assert batcher.stats().verdicts_committed == 8
    assert (await stored_totals(database))[0] == Totals.of(shares, verdicts)


async def test_record_verdict_after_stop_is_refused(database: Database, tmp_path: Path) -> None:
    batcher = ShareBatcher(database.shares, tmp_path / "journal")
    await batcher.start()
    await batcher.stop()
    with pytest.raises(RuntimeError, match="stopping"):
        batcher.record_verdict(verdict())
