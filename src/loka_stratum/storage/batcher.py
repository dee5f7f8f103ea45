"""The share sink: record shares without waiting, persist them in batches, lose none.

``record()`` (a share) and ``record_verdict()`` (an upstream's verdict, proxy
mode) append to a list and return; a background task cuts the lists into
batches (when ``batch_size`` records are waiting, or when the oldest has waited
``flush_interval`` seconds) and writes each batch in one transaction. Verdicts
ride in the same batches as shares, so everything below holds for both.

Order and exactly-once. Batches leave in the order they were cut. When a write
fails, that batch and every later one go to the on-disk journal (``journal``)
behind whatever is already there; while the journal is not empty nothing is
written around it. A health probe every ``retry_interval`` seconds notices the
database is back, the journal is replayed oldest first, and each file is
removed only after its batch committed. A write whose outcome is unknown (the
connection died around COMMIT, or the write timed out) is simply journaled and
replayed: ``share_batches`` recognises the id and the replay writes nothing.

Batch ids are ``<instance>:<sequence>``: a random UUID drawn when the batcher
is built and a counter. Unique across restarts and across processes without
persisting a counter (a counter file would need its own fsync and crash story);
the journal's file names, not the ids, carry the order across restarts.

If the disk fails too, batches stay in memory and both are retried; only a
stop in that state loses them, and it says so in the log.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import structlog

from loka_stratum.storage.batches import ShareBatch
from loka_stratum.storage.journal import Journal
from loka_stratum.storage.shares import ShareRecord
from loka_stratum.storage.verdicts import VerdictRecord

log = structlog.get_logger(__name__)


class ShareStore(Protocol):
    """What the batcher needs from storage (``ShareRepository`` provides it)."""

    async def write_batch(self, batch: ShareBatch) -> bool: ...

    async def health(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class BatcherStats:
    """Figures for metrics, read at scrape time.

    The verdict figures default to zero so a pool-mode reader (or a fake) need
    not name them.
    """

    pending_shares: int
    journal_depth: int
    last_flush_seconds: float | None
    flushes: int
    skipped: int
    failures: int
    journaled: int
    replayed: int
    shares_committed: int
    database_up: bool
    pending_verdicts: int = 0
    verdicts_committed: int = 0


_COUNTERS = (
    "flushes",
    "skipped",
    "failures",
    "journaled",
    "replayed",
    "shares_committed",
    "verdicts_committed",
)


class ShareBatcher:
    """Non-blocking ``record``; ``start()`` and ``stop()`` bracket the background task."""

    def __init__(
        self,
        repository: ShareStore,
        journal_dir: Path,
        *,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        retry_interval: float = 1.0,
        write_timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        on_flush: Callable[[float, int], None] | None = None,
    ) -> None:
        if batch_size < 1 or flush_interval <= 0 or retry_interval <= 0 or write_timeout <= 0:
            raise ValueError("batch_size and the intervals must be positive")
        self._store = repository
        self._journal = Journal(journal_dir)
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._retry_interval = retry_interval
        self._write_timeout = write_timeout
        self._clock = clock
        self._on_flush = on_flush
        self._instance = uuid.uuid4().hex
        self._sequence = 0
        self._pending: list[ShareRecord | VerdictRecord] = []
        self._pending_verdicts = 0
        self._oldest: float | None = None
        self._backlog: deque[ShareBatch] = deque()
        self._wake = asyncio.Event()
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._database_up = True
        self._next_probe = 0.0
        self._last_flush: float | None = None
        self._counts = dict.fromkeys(_COUNTERS, 0)

    def record(self, share: ShareRecord) -> None:
        """Queue one share; never blocks, never awaits."""
        self._enqueue(share)

    def record_verdict(self, verdict: VerdictRecord) -> None:
        """Queue one upstream verdict, in the same queue as shares; never blocks."""
        self._enqueue(verdict)
        self._pending_verdicts += 1

    def _enqueue(self, record: ShareRecord | VerdictRecord) -> None:
        if self._stopping:
            raise RuntimeError("ShareBatcher is stopping: record before stop()")
        self._pending.append(record)
        if len(self._pending) == 1:
            self._oldest = self._clock()
            self._wake.set()
        elif len(self._pending) >= self._batch_size:
            self._wake.set()

    async def start(self) -> None:
        """Replay what a previous run journaled, then start flushing."""
        await self._journal.open()
        if self._journal.depth:
            await self._recover()
        self._task = asyncio.create_task(self._run(), name="share-batcher")

    async def stop(self) -> None:
        """Persist everything recorded (database or journal), then end the task."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task

    def stats(self) -> BatcherStats:
        in_backlog = sum(len(batch.shares) for batch in self._backlog)
        verdicts_in_backlog = sum(len(batch.verdicts) for batch in self._backlog)
        return BatcherStats(
            pending_shares=len(self._pending) - self._pending_verdicts + in_backlog,
            journal_depth=self._journal.depth,
            last_flush_seconds=self._last_flush,
            database_up=self._database_up,
            pending_verdicts=self._pending_verdicts + verdicts_in_backlog,
            **self._counts,
        )

    async def wait_for(self, predicate: Callable[[BatcherStats], bool]) -> None:
        """Return once ``predicate(self.stats())`` holds (checked after every cycle)."""
        async with self._changed:
            await self._changed.wait_for(lambda: predicate(self.stats()))

    async def _run(self) -> None:
        while not self._stopping:
            delay = self._delay()
            try:
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            await self._cycle(final=False)
        await self._cycle(final=True)
        if self._backlog:
            lost = sum(len(batch.shares) for batch in self._backlog)
            verdicts = sum(len(batch.verdicts) for batch in self._backlog)
            log.critical(
                "shares lost at stop: database and journal both failed",
                shares=lost,
                verdicts=verdicts,
            )

    def _delay(self) -> float | None:
        deadlines = []
        if self._oldest is not None:
            deadlines.append(self._oldest + self._flush_interval)
        if self._backlog or self._journal.depth:
            deadlines.append(self._next_probe)
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - self._clock())

    async def _cycle(self, *, final: bool) -> None:
        now = self._clock()
        self._cut_batches(now, final=final)
        if (self._journal.depth or not self._database_up) and (final or now >= self._next_probe):
            await self._recover()
        await self._drain_backlog()
        async with self._changed:
            self._changed.notify_all()

    def _cut_batches(self, now: float, *, final: bool) -> None:
        """Cut in arrival order: a verdict waits behind the records before it, no longer."""
        while self._pending and (
            len(self._pending) >= self._batch_size
            or final
            or (self._oldest is not None and now - self._oldest >= self._flush_interval)
        ):
            records = self._pending[: self._batch_size]
            del self._pending[: self._batch_size]
            shares, verdicts = _split(records, any_verdicts=self._pending_verdicts > 0)
            self._pending_verdicts -= len(verdicts)
            self._sequence += 1
            batch_id = f"{self._instance}:{self._sequence}"
            self._backlog.append(ShareBatch(batch_id, shares, verdicts))
        if not self._pending:
            self._oldest = None

    async def _drain_backlog(self) -> None:
        while self._backlog:
            batch = self._backlog[0]
            written = self._database_up and not self._journal.depth and await self._write(batch)
            if not written and not await self._spill(batch):
                return
            self._backlog.popleft()

    async def _recover(self) -> None:
        """Probe; when the database answers, replay the journal oldest first."""
        if not await self._store.health():
            self._mark_down("health probe failed")
            return
        if not self._database_up:
            log.info("share storage available again", journal_depth=self._journal.depth)
        self._database_up = True
        while await self._replay_oldest():
            self._counts["replayed"] += 1

    async def _replay_oldest(self) -> bool:
        """Commit the oldest journaled batch and drop its file; False when nothing was done."""
        try:
            batch = await self._journal.oldest()
            if batch is None or not await self._write(batch):
                return False
            await self._journal.remove_oldest()
        except OSError as exc:  # a committed batch left on disk is skipped when replayed
            log.error("share journal unreadable or not removable", error=str(exc))
            return False
        return True

    async def _write(self, batch: ShareBatch) -> bool:
        started = self._clock()
        try:
            async with asyncio.timeout(self._write_timeout):
                applied = await self._store.write_batch(batch)
        except Exception as exc:  # any failure means "not known to be committed": journal it
            self._counts["failures"] += 1
            self._mark_down(repr(exc), batch_id=batch.batch_id)
            return False
        self._last_flush = self._clock() - started
        self._counts["flushes" if applied else "skipped"] += 1
        self._counts["shares_committed"] += len(batch.shares) if applied else 0
        self._counts["verdicts_committed"] += len(batch.verdicts) if applied else 0
        if self._on_flush is not None:
            self._on_flush(self._last_flush, len(batch.shares))
        return True

    async def _spill(self, batch: ShareBatch) -> bool:
        try:
            await self._journal.append(batch)
        except OSError as exc:
            log.error("share journal write failed; batch kept in memory", error=str(exc))
            return False
        self._counts["journaled"] += 1
        return True

    def _mark_down(self, reason: str, **context: str) -> None:
        if self._database_up:
            log.warning("share storage unavailable; journaling batches", reason=reason, **context)
        self._database_up = False
        self._next_probe = self._clock() + self._retry_interval


def _split(
    records: list[ShareRecord | VerdictRecord], *, any_verdicts: bool
) -> tuple[tuple[ShareRecord, ...], tuple[VerdictRecord, ...]]:
    """A batch's shares and verdicts. Without verdicts queued (pool mode) a plain copy:
    testing each record's type costs ~170 ns a share, which the pool need not pay."""
    if not any_verdicts:
        return cast("tuple[ShareRecord, ...]", tuple(records)), ()
    shares = tuple(r for r in records if isinstance(r, ShareRecord))
    return shares, tuple(r for r in records if isinstance(r, VerdictRecord))
