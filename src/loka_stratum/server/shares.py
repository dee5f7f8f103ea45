"""Where validated shares go after the miner has its answer: storage and block handling."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from loka_stratum.bitcoin.network import block_subsidy
from loka_stratum.mining.validator import ShareResult
from loka_stratum.observability.loggers import get_logger
from loka_stratum.observability.metrics import Metrics
from loka_stratum.server.identity import MinerIdentity
from loka_stratum.sources.base import SubmitResult, WorkSource
from loka_stratum.storage.blocks import NewBlock
from loka_stratum.storage.shares import ShareRecord

log = get_logger("loka_stratum.server.blocks")


class ShareSink(Protocol):
    """Non-blocking: `record` must never await or block the event loop."""

    def record(self, share: ShareRecord) -> None: ...


BlockObserver = Callable[[bytes, SubmitResult], None]
"""Told of each found block and the node's verdict right after submission; must not block."""


class BlockStore(Protocol):
    async def add(self, block: NewBlock, now: datetime) -> int: ...


class ShareIds:
    """Share ids unique across restarts: milliseconds since the epoch, then a 15-bit counter.

    63 bits in all (a signed BIGINT); the clock part never goes backwards, so a
    restart, or NTP stepping the clock, cannot reuse an id.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._millis = 0
        self._counter = itertools.count()
        self._left = 0

    def next(self) -> int:
        if self._left == 0:
            self._millis = max(self._millis + 1, int(self._clock() * 1000))
            self._counter = itertools.count()
            self._left = 1 << 15
        self._left -= 1
        return (self._millis << 15) | next(self._counter)


class BlockHandler:
    """A found block goes to the work source first; then it is logged, stored and announced."""

    def __init__(
        self,
        source: WorkSource,
        store: BlockStore | None,
        metrics: Metrics | None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._source = source
        self._store = store
        self._metrics = metrics
        self._clock = clock
        self._tasks: set[asyncio.Task[SubmitResult]] = set()
        self.found: list[SubmitResult] = []
        self.observers: list[BlockObserver] = []

    def block_found(self, result: ShareResult, identity: MinerIdentity) -> None:
        """Called from the share path: schedules the submission before anything else."""
        block = result.block
        assert block is not None  # only block shares come here
        task = asyncio.get_running_loop().create_task(self._handle(block, result, identity))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every block submission in flight (shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(
        self, block: bytes, result: ShareResult, identity: MinerIdentity
    ) -> SubmitResult:
        submitted = await self._source.submit_block(block)
        for observer in self.observers:
            observer(block, submitted)
        job = result.job
        height = job.height if job is not None else None
        verdict = submitted.verdict or "accepted"
        log.info(
            "Block found",
            block_hash=submitted.block_hash[::-1].hex(),
            height=height,
            finder=identity.name,
            verdict=verdict,
            share_difficulty=result.share_difficulty,
        )
        if self._metrics is not None:
            self._metrics.block_found("accepted" if submitted.accepted else "rejected")
        if self._store is not None and job is not None and height is not None:
            reward = job.coinbase_value or block_subsidy(height, self._source.network)
            await self._store_block(block, submitted, identity, job.prev_hash, height, reward)
        self.found.append(submitted)  # handled: submitted, logged and stored
        return submitted

    async def _store_block(
        self,
        block: bytes,
        submitted: SubmitResult,
        identity: MinerIdentity,
        prev_hash: bytes,
        height: int,
        reward: int,
    ) -> None:
        assert self._store is not None
        record = NewBlock(
            height=height,
            hash=submitted.block_hash,
            prev_hash=prev_hash,
            finder_account=identity.account,
            finder_worker=identity.worker,
            reward=reward,
            submit_result=submitted.verdict,
            block_data=block,
        )
        try:
            await self._store.add(record, datetime.fromtimestamp(self._clock(), UTC))
        except Exception as exc:  # the block is already submitted; storage trouble must not hide it
            log.error("Block not stored", error_type=type(exc).__name__, error=str(exc))
